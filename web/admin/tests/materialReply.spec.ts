import { describe, expect, it } from 'vitest'
import { readMaterialReply, writeMaterialReply } from '../src/lib/materialReply'

describe('material reply params', () => {
  it('reads what the params name, ignoring what is unusable', () => {
    expect(readMaterialReply('{"reply_type": "news", "material_id": 7}')).toEqual({ reply_type: 'news', material_id: 7 })
    expect(readMaterialReply('{"reply_type": "gif", "material_id": "7"}')).toEqual({ reply_type: null, material_id: null })
    expect(readMaterialReply('{"material_id": 0}')).toEqual({ reply_type: null, material_id: null })
    expect(readMaterialReply('not json')).toEqual({ reply_type: null, material_id: null })
  })

  it('writes the choice and drops keys the reply type does not take', () => {
    const from = '{"content": "hello"}'
    expect(JSON.parse(writeMaterialReply(from, { reply_type: 'image', material_id: 3 }))).toEqual({ reply_type: 'image', material_id: 3 })
  })

  it('keeps a video title and gives music its url keys', () => {
    const video = writeMaterialReply('{"reply_type": "video", "material_id": 2, "title": "开户指南"}', { reply_type: 'video', material_id: 5 })
    expect(JSON.parse(video)).toEqual({ reply_type: 'video', material_id: 5, title: '开户指南', description: '' })
    const music = writeMaterialReply(video, { reply_type: 'music', material_id: 9 })
    expect(JSON.parse(music)).toEqual({ reply_type: 'music', material_id: 9, title: '开户指南', description: '', music_url: '', hq_music_url: '' })
  })

  it('leaves out a material not chosen yet', () => {
    expect(JSON.parse(writeMaterialReply('{}', { reply_type: 'news', material_id: null }))).toEqual({ reply_type: 'news' })
  })
})

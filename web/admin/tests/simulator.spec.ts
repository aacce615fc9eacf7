import { describe, expect, it } from 'vitest'
import { inboxBubble, menuButtons, replyBubble } from '../src/lib/simulator'

const result = (reply: Record<string, unknown> | null) => ({ status: 200, encrypted: true, elapsed_ms: 3, request_xml: '<xml/>', reply })

describe('simulator bubbles', () => {
  it('shows a text reply and a news reply', () => {
    expect(replyBubble(result({ MsgType: 'text', Content: '您好' }), 1)?.text).toBe('您好')
    const news = replyBubble(result({ MsgType: 'news', Articles: { item: { Title: '网点', Url: 'https://a' } } }), 2)
    expect(news?.articles).toEqual([{ title: '网点', description: '', url: 'https://a', picurl: '' }])
  })
  it('shows nothing for an empty passive answer', () => {
    expect(replyBubble(result(null), 1)).toBeNull()
  })
  it('turns inbox deliveries into account bubbles by kind', () => {
    const custom = inboxBubble({ kind: 'custom', msgid: 1, at: 10, body: { msgtype: 'text', text: { content: '到账' } } })
    expect([custom.source, custom.text, custom.at]).toEqual(['custom', '到账', 10000])
    const template = inboxBubble({ kind: 'template', msgid: 2, at: 11, body: { template_id: 'T1', data: { amount: { value: '100' } } } })
    expect(template.text).toBe('T1\namount: 100')
  })
  it('reads sub-buttons of a read-back menu in both shapes', () => {
    const buttons = menuButtons({ menu: { button: [{ name: 'A', sub_button: [{ name: 'a1', type: 'click', key: 'K' }] }, { name: 'B', sub_button: { list: [{ name: 'b1' }] } }] } })
    expect(buttons.map((b) => b.sub_button?.map((s) => s.name))).toEqual([['a1'], ['b1']])
  })
})

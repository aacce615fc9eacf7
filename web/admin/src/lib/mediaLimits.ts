// The material library's limits (services/admin_api/media_limits.py), shown before uploading.
export const LIMITS = {
  image: { maxBytes: 2 * 1024 * 1024, formats: 'BMP / PNG / JPEG / GIF', accept: 'image/bmp,image/png,image/jpeg,image/gif' },
  voice: { maxBytes: 5 * 1024 * 1024, maxSeconds: 60, formats: 'MP3 / WMA / WAV / AMR', accept: 'audio/*,.amr,.wma' },
  video: { maxBytes: 10 * 1024 * 1024, formats: 'MP4', accept: 'video/mp4,.mp4' },
} as const

export type UploadKind = keyof typeof LIMITS

/** The limit a file breaks before it is sent (size only: the format is judged by the server). */
export function sizeProblem(kind: UploadKind, size: number): { max: number } | null {
  return size > LIMITS[kind].maxBytes ? { max: LIMITS[kind].maxBytes } : null
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MB`
  if (n >= 1024) return `${Math.round(n / 1024)} KB`
  return `${n} B`
}

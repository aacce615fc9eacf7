import { ElMessage } from 'element-plus'
import { ApiError, locName } from '../api/client'
import { i18n } from '../i18n'

/** Field name → message, from a 422 answer (`["new_password"]` → `new_password`). */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {}
  const result: Record<string, string> = {}
  for (const problem of error.errors) {
    const name = locName(problem)
    result[name] = result[name] ? `${result[name]}; ${problem.message}` : problem.message
  }
  return result
}

/** Show an API failure (403s are already shown by the client's global hook). */
export function showError(error: unknown): void {
  const t = i18n.global.t
  if (error instanceof ApiError) {
    if (error.status === 403) return
    const detail = error.errors.length ? ` (${error.errors.map((e) => `${locName(e)}: ${e.message}`).join('; ')})` : ''
    ElMessage.error({ message: t('errors.api', { message: error.message + detail }), duration: 6000 })
    return
  }
  ElMessage.error(t('errors.network'))
}

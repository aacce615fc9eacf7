// Describes one admin API resource for the generic table + form (components/ResourceTable.vue).
export type FieldKind =
  | 'text' | 'textarea' | 'number' | 'bool' | 'select' | 'json' | 'password' | 'account' | 'org'
  | 'tags' | 'permissions' | 'roles'

export interface Field {
  prop: string
  /** i18n key of the label (defaults to `fields.<prop>`). */
  label?: string
  kind: FieldKind
  /** Values of a select; their labels are `enums.<prop>.<value>`. */
  options?: string[]
  required?: boolean
  /** Only when creating (e.g. codes, initial passwords) / only when editing. */
  createOnly?: boolean
  editOnly?: boolean
  /** Write-only secret: left empty on edit means "unchanged". */
  secret?: boolean
  /** Byte or character limit shown as a counter. */
  max?: number
  default?: unknown
}

export type ColumnKind = 'text' | 'bool' | 'date' | 'tags' | 'json' | 'secret' | 'enum' | 'account' | 'org' | 'orgs'

export interface Column {
  prop: string
  label?: string
  kind?: ColumnKind
  width?: number
}

export interface RowAction {
  /** i18n key of the button. */
  label: string
  perm: string
  when?: (row: Record<string, unknown>) => boolean
  /** A prompt (i18n key) asks for one value first, e.g. a new password. */
  prompt?: string
  /** The prompt's input is a secret (passwords). */
  secret?: boolean
  run: (row: Record<string, unknown> & { id: number }, value: string) => Promise<unknown>
}

export interface ResourceConfig {
  name: string
  endpoint: string
  editPerm: string | null
  columns: Column[]
  fields: Field[]
  /** Query filters shown above the table. */
  filters?: Field[]
  /** The list takes `account_id` (scoped to the chosen account). */
  accountScoped?: boolean
  canCreate?: boolean
  canDelete?: boolean
  /** Rows are edited through the generic form (PATCH); false when the page edits them itself. */
  canUpdate?: boolean
  searchable?: boolean
  rowActions?: RowAction[]
}

/** The form's starting values: an existing row's, or each field's default. */
export function initialValues(config: ResourceConfig, row: Record<string, unknown> | null): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const field of config.fields) {
    if (row && field.createOnly) continue
    if (!row && field.editOnly) continue
    if (field.secret) values[field.prop] = ''
    else if (row && field.prop in row) values[field.prop] = field.kind === 'json' ? JSON.stringify(row[field.prop] ?? {}, null, 2) : row[field.prop]
    else values[field.prop] = field.kind === 'json' ? JSON.stringify(field.default ?? {}, null, 2) : (field.default ?? defaultFor(field.kind))
  }
  return values
}

function defaultFor(kind: FieldKind): unknown {
  switch (kind) {
    case 'bool': return true
    case 'number': return 0
    case 'tags': case 'permissions': case 'roles': return []
    case 'account': case 'org': return null
    default: return ''
  }
}

export class JsonFieldError extends Error {
  constructor(readonly prop: string) {
    super(prop)
  }
}

/** The request body: JSON fields parsed, empty secrets left out on edit, unchanged values dropped. */
export function requestBody(
  config: ResourceConfig,
  values: Record<string, unknown>,
  row: Record<string, unknown> | null,
): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const field of config.fields) {
    if (!(field.prop in values)) continue
    let value = values[field.prop]
    if (field.kind === 'json') {
      try {
        value = JSON.parse(String(value || '{}'))
      } catch {
        throw new JsonFieldError(field.prop)
      }
    }
    if (field.secret && row && !value) continue
    if ((field.kind === 'account' || field.kind === 'org') && value === null) continue
    if (row && JSON.stringify(row[field.prop]) === JSON.stringify(value)) continue
    body[field.prop] = value
  }
  return body
}

/** UTF-8 length, as WeChat counts its limits. */
export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length
}

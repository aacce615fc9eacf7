// Payload types of the admin API, generated from its OpenAPI schema (`make web-types`).
import type { components } from './schema'

export type Schemas = components['schemas']
export type TokenRead = Schemas['TokenRead']
export type MeRead = Schemas['MeRead']
export type AccountRead = Schemas['AccountRead']
export type CommandRead = Schemas['CommandRead']
export type CommandCreate = Schemas['CommandCreate']
export type ApplicationRead = Schemas['ApplicationRead']
export type MenuRead = Schemas['MenuRead']
export type Button = Schemas['Button']
export type SubButton = Schemas['SubButton']
export type PublicationRead = Schemas['PublicationRead']
export type PublicationCreate = Schemas['PublicationCreate']
export type AudienceCount = Schemas['AudienceCount']
export type OutcomeRead = Schemas['OutcomeRead']
export type RecipientRead = Schemas['RecipientRead']
export type MaterialRead = Schemas['MaterialRead']
export type ImportResult = Schemas['ImportResult']
export type ConfigRead = Schemas['ConfigRead']
export type VersionRead = Schemas['VersionRead']
export type OrgNode = Schemas['OrgNode']
export type QuotaRead = Schemas['QuotaRead']
export type SimulatorSend = Schemas['SimulatorSend']
export type SimulatorResult = Schemas['SimulatorResult']
export type InboxItem = Schemas['InboxItem']
export type RevealRead = Schemas['RevealRead']
export type ReportRead = Schemas['ReportRead']
export type HeartbeatList = Schemas['HeartbeatList']
export type DeadLetter = Schemas['DeadLetter']
export type DeadLetterList = Schemas['DeadLetterList']
export type ReplayResult = Schemas['ReplayResult']
export type CsAgentRead = Schemas['AgentRead']
export type CsSessionRead = Schemas['SessionRead']
export type CsSessionDetail = Schemas['SessionDetail']
export type CsMessageRead = Schemas['MessageRead']
export type CsCannedRead = Schemas['CannedRead']

/** Every list endpoint answers one page of this shape. */
export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

// Auto-tag rules and the customer groups their conditions name (docs/api.md, "Tags").
import { client } from './index.js'

const V1 = '/api/v1'

export const tagRules = {
  // {items: [TagRule]}
  list: () => client.get(`${V1}/tag-rules`),
  // TagRuleInput {name, tag_id, conditions, enabled} → 201 TagRule (applied to everyone at once)
  create: (rule) => client.post(`${V1}/tag-rules`, rule),
  update: (id, rule) => client.put(`${V1}/tag-rules/${id}`, rule),
  remove: (id) => client.del(`${V1}/tag-rules/${id}`),
  // RuleRun {rule_id, matched, added, removed}
  run: (id) => client.post(`${V1}/tag-rules/${id}/run`),
}

export const customerGroups = {
  // {items: [{id, name, member_count, status: active|dismissed}]}
  list: () => client.get(`${V1}/customer-groups`),
}

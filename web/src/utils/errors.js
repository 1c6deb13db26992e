import { ElMessage } from 'element-plus'
import { useI18n } from 'vue-i18n'
import { ApiError, fieldMessages } from '../api/index.js'

// useApiError gives pages one way to show a failed call: the server's message (already
// in the user's language) or, without one, a translated text for the error code.
export function useApiError() {
  const { t, te } = useI18n()

  function messageOf(err) {
    if (err instanceof ApiError) {
      if (err.message) return err.message
      if (te(`errors.${err.code}`)) return t(`errors.${err.code}`)
    }
    return t('errors.internal')
  }

  function notify(err) {
    ElMessage({ type: 'error', message: messageOf(err), grouping: true })
  }

  function fieldErrorsOf(err) {
    return fieldMessages(err, (code) => (te(`fieldCodes.${code}`) ? t(`fieldCodes.${code}`) : t('fieldCodes.invalid')))
  }

  // applyToForm puts per-field messages into target (a reactive object bound to the
  // el-form-items' error props) for the fields in `known`. The error's own message is
  // always shown too, since it may say more than the field does (e.g. that the current
  // password is wrong), together with the messages of fields the form does not have.
  function applyToForm(err, target, known) {
    for (const k of Object.keys(target)) delete target[k]
    const unplaced = []
    for (const [field, msg] of Object.entries(fieldErrorsOf(err))) {
      if (known.includes(field)) target[field] = msg
      else unplaced.push(`${field}: ${msg}`)
    }
    const base = messageOf(err)
    ElMessage({ type: 'error', message: unplaced.length ? `${base} (${unplaced.join('; ')})` : base, grouping: true })
  }

  return { messageOf, notify, fieldErrorsOf, applyToForm }
}

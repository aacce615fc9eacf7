// Element Plus leaves a few of its inner fields without a label (the pagination's page-size
// select, the two inputs of a date range); v-label-fields names them after the given text.
import type { Directive } from 'vue'

function label(el: HTMLElement, text: string): void {
  for (const input of el.querySelectorAll<HTMLInputElement>('input.el-select__input, input.el-range-input')) {
    const name = input.classList.contains('el-range-input') && input.placeholder ? `${text} ${input.placeholder}` : text
    if (input.getAttribute('aria-label') !== name) input.setAttribute('aria-label', name)
  }
}

export const vLabelFields: Directive<HTMLElement, string> = {
  mounted: (el, binding) => label(el, binding.value),
  updated: (el, binding) => label(el, binding.value),
}

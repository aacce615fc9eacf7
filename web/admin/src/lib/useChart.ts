// One ECharts instance bound to an element: loaded on first draw (ECharts is its own chunk, never
// part of the login page), resized with the window, disposed with the component.
import { onBeforeUnmount, type Ref } from 'vue'
import type { EChartsType } from 'echarts/core'

export function useChart(el: Ref<HTMLElement | null>) {
  let chart: EChartsType | null = null
  const resize = () => chart?.resize()

  async function draw(option: Record<string, unknown>): Promise<void> {
    if (!el.value) return
    const { echarts } = await import('./charts')
    if (!chart) {
      chart = echarts.init(el.value)
      window.addEventListener('resize', resize)
    }
    chart.setOption(option, true)
  }

  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize)
    chart?.dispose()
    chart = null
  })
  return { draw }
}

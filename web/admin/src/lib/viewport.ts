import { onBeforeUnmount, onMounted, ref } from 'vue'

/** True on phone-sized screens (the layout folds the side menu away below 760 px). */
export function useNarrow() {
  const narrow = ref(typeof window !== 'undefined' && window.innerWidth < 760)
  const update = () => (narrow.value = window.innerWidth < 760)
  onMounted(() => window.addEventListener('resize', update))
  onBeforeUnmount(() => window.removeEventListener('resize', update))
  return narrow
}

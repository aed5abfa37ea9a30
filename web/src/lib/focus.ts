/**
 * Keyboard focus to the new view's heading after the view changed without a route change (a
 * step of the scan flow, a loaded result, a deleted row): otherwise the removed element takes
 * the focus with it and it drops to the page body (WCAG 2.4.3 Focus Order).
 */
export function focusHeading(selector = 'main h1'): void {
  // After the render that shows the new view.
  requestAnimationFrame(() => {
    const h = document.querySelector<HTMLElement>(selector);
    if (!h) return;
    if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
    h.focus();
  });
}

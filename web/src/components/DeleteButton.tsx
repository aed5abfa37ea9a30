/**
 * A destructive action that asks once more in place (no modal to trap focus in). Cancel, or
 * Escape anywhere in the question, puts the focus back on the button that asked (WAI-ARIA
 * Authoring Practices: focus returns to the invoking element).
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export function DeleteButton({ label, confirmLabel, onConfirm }: { label: string; confirmLabel: string; onConfirm: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const cancelled = useRef(false);

  // Before paint, so the focus never rests on the body in between.
  useLayoutEffect(() => {
    if (!asking && cancelled.current) {
      cancelled.current = false;
      trigger.current?.focus();
    }
  }, [asking]);

  const cancel = () => {
    cancelled.current = true;
    setAsking(false);
  };

  if (!asking) {
    return (
      <button type="button" class="danger-outline" ref={trigger} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span
      class="confirm"
      role="group"
      aria-label={confirmLabel}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) {
          e.preventDefault();
          cancel();
        }
      }}
    >
      <button
        type="button"
        class="danger"
        disabled={busy}
        ref={(el) => el?.focus()}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={cancel}>
        Cancel
      </button>
    </span>
  );
}

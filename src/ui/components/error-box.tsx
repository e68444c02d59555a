export function ErrorBox ({ message, onClose }: { message: string | undefined, onClose?: () => void }) {
  if (message === undefined) return null
  return (
    <div class="error" role="alert">
      <span>{message}</span>
      {onClose !== undefined && <button type="button" class="link" onClick={onClose} aria-label="Dismiss">×</button>}
    </div>
  )
}

/** A quiet note (the user's own Cancel), in place of an error. */
export function CancelledNote ({ message }: { message: string | undefined }) {
  if (message === undefined) return null
  return <p class="muted" role="status" data-testid="cancelled">{message}</p>
}

export function ErrorBox ({ message, onClose }: { message: string | undefined, onClose?: () => void }) {
  if (message === undefined) return null
  return (
    <div class="error" role="alert">
      <span>{message}</span>
      {onClose !== undefined && <button type="button" class="link" onClick={onClose} aria-label="Dismiss">×</button>}
    </div>
  )
}

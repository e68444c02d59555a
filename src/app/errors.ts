import { CairnError } from '../core/errors.js'

/** The node is not running (it is starting, or failed to start). */
export class NodeNotReadyError extends CairnError {
  static override readonly code = 'ERR_NODE_NOT_READY'
  constructor (message = 'The IPFS node is not running yet. Wait until the Node page says "online", or check Settings if it failed to start.') {
    super(message)
  }
}

/** A dial failed after every retry. */
export class DialFailedError extends CairnError {
  static override readonly code = 'ERR_DIAL_FAILED'
}

/** Settings the user entered are not valid. */
export class InvalidSettingsError extends CairnError {
  static override readonly code = 'ERR_INVALID_SETTINGS'
}

/** An ipns:// address was opened where no name resolver is wired in. */
export class NameResolutionUnavailableError extends CairnError {
  static override readonly code = 'ERR_NAME_RESOLUTION_UNAVAILABLE'
  constructor (message = 'IPNS names cannot be resolved here. Resolve the name on the Names page, then open its /ipfs/ path.') {
    super(message)
  }
}

/**
 * Asked for a same-origin URL of content that could run script as the app (SVG, HTML, XML, PDF,
 * anything not a known-passive image, audio, video or text type). See content-kind.ts.
 */
export class ActiveContentError extends CairnError {
  static override readonly code = 'ERR_ACTIVE_CONTENT'
  constructor (mimeType: string) {
    super(`Cairn does not open "${mimeType}" content on its own origin, where its scripts would run as the app. Download the file and open it from your disk instead.`)
  }
}

/** A file is too large for an in-page preview. */
export class PreviewTooLargeError extends CairnError {
  static override readonly code = 'ERR_PREVIEW_TOO_LARGE'
}

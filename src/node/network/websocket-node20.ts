/**
 * Node 20 has no global `WebSocket` (Node 22+ has one); `@libp2p/websockets` dials with the global.
 * On Node 20 this installs the `ws` package's client, the same library the transport's listener
 * uses. On Node 22+ it does nothing. Import it before dialling over WebSockets from Node.
 */
import { WebSocket as WsWebSocket } from 'ws'

const g = globalThis as { WebSocket?: unknown }
if (typeof g.WebSocket !== 'function') {
  g.WebSocket = WsWebSocket
}

export {}

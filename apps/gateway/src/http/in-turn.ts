// Serves a request only once its response owns the connection: requests pipelined behind a
// stream never start anything (DESIGN §16, no pipelined ghosts).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Requests one connection may have waiting behind the one being answered. Players and browsers
 * do not pipeline; a client that queues more is closed, stream and all, so a connection cannot
 * pile up parsed requests for ever behind a body that never ends.
 */
const MAX_WAITING_PER_CONNECTION = 16;

const waiting = new WeakMap<Socket, number>();

/**
 * node parses pipelined requests as they arrive and calls the handler for each at once, with its
 * response queued (`res.socket` null) until the ones before it finish. A stream's body runs until
 * the connection closes, so a request behind it is never answered, and its response never closes:
 * run at once, it held an engine session and a player record for minutes (ten stream requests on
 * one connection were ten engine sessions). So a queued request runs when node hands its response
 * the socket (`'socket'`), and not at all if the connection closes first.
 */
export function inTurn(handler: RequestHandler): RequestHandler {
  return (req, res) => {
    if (res.socket) {
      handler(req, res);
      return;
    }
    const socket = req.socket;
    const queued = (waiting.get(socket) ?? 0) + 1;
    if (queued > MAX_WAITING_PER_CONNECTION) {
      socket.destroy();
      return;
    }
    waiting.set(socket, queued);
    // Nothing to undo when the connection closes first: the listener goes with the response.
    res.once('socket', () => {
      waiting.set(socket, (waiting.get(socket) ?? 1) - 1);
      handler(req, res);
    });
  };
}

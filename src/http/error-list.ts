// The error body both store APIs answer with (Charmhub's and the Snap Store's v2 API):
// {"error-list":[{"code","message"}]}, sent as exactly `application/json` (docs/protocol/charmhub.md,
// docs/protocol/snap-store.md).
import type { FastifyReply } from 'fastify'

export function errorList(code: string, message: string): string {
  return JSON.stringify({ 'error-list': [{ code, message }] })
}

export function sendErrorList(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(errorList(code, message))
}

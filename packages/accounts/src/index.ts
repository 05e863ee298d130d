// Public surface of @acestream-proxy/accounts: users, their tokens and limits (issue 21, DESIGN §16).

export {
  type Admission,
  type AdmissionRequest,
  type AdmissionStore,
  type Evicted,
  evictions,
  type LiveConnection,
  overLimit,
  type RefreshEntry,
  type RefreshResult,
} from './admission.js';
export { type Authenticated, Authenticator, type Principal } from './authenticator.js';
export { type Credential, type Extraction, extractCredential, type RequestLike, TOKEN_PREFIX } from './credentials.js';
export {
  type LimitName,
  UnauthorizedError,
  UserExistsError,
  UserInputError,
  UserLimitError,
  UserNotFoundError,
} from './errors.js';
export { MemoryAdmissionStore } from './memory-admission.js';
export { MemoryUserStore } from './memory-store.js';
export { RedisAdmissionStore } from './redis-admission.js';
export { RedisUserStore } from './redis-store.js';
export {
  type Holder,
  type RevocationReason,
  type RevocationWatch,
  type RevocationWatchOptions,
  watchRevocations,
} from './revocations.js';
export type { UserRecord, UserStore } from './store.js';
export { hashToken, isTokenShaped, newToken, sameHash, TOKEN_HASH_PATTERN, TOKEN_PATTERN } from './token.js';
export {
  type LimitPolicy,
  NO_LIMITS,
  type PublicUser,
  publicUser,
  type StoredUser,
  USER_NAME_PATTERN,
  type UserLimits,
  usable,
} from './user.js';
export { type IssuedToken, Users } from './users.js';
export { type FileUser, parseUsersFile, type SeedReport, seedUsers } from './users-file.js';

// Typed errors the gateway's error mapper turns into statuses (401, 429, 400, 404, 409).

/** No valid user token: 401 with a `WWW-Authenticate` challenge (players send URL credentials only after one). */
export class UnauthorizedError extends Error {
  readonly code = 'unauthorized';
  /** The value of the `WWW-Authenticate` header to send. */
  readonly challenge = 'Basic realm="acestream-proxy", charset="UTF-8"';
  constructor() {
    // One message whatever was wrong (missing, unknown, disabled, expired): nothing to probe.
    super('a valid user token is needed: put it in the URL as /u/<token>/... or send it as the Basic password');
    this.name = 'UnauthorizedError';
  }
}

/** Which of a user's limits a new player would pass. */
export type LimitName = 'channels' | 'connections';

/** A user at a limit under the `refuse` policy: 429, naming the limit. */
export class UserLimitError extends Error {
  readonly code: 'too_many_channels' | 'too_many_connections';
  constructor(
    readonly limit: LimitName,
    readonly allowed: number,
  ) {
    super(
      limit === 'channels'
        ? `this user may watch ${allowed} channel(s) at once; stop one to start another`
        : `this user may have ${allowed} player connection(s) at once; close one to open another`,
    );
    this.code = limit === 'channels' ? 'too_many_channels' : 'too_many_connections';
    this.name = 'UserLimitError';
  }
}

/** A bad field in an admin API body or USERS_FILE: 400, naming the field. */
export class UserInputError extends Error {
  readonly code = 'bad_user';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'UserInputError';
  }
}

/** 404 (`unknown_user`) or 409 (`user_exists`). */
export class UserNotFoundError extends Error {
  readonly code = 'unknown_user';
  constructor(readonly userName: string) {
    super(`no user named ${JSON.stringify(userName)}`);
    this.name = 'UserNotFoundError';
  }
}

export class UserExistsError extends Error {
  readonly code = 'user_exists';
  constructor(readonly userName: string) {
    super(`a user named ${JSON.stringify(userName)} exists already; change it with PATCH or delete it first`);
    this.name = 'UserExistsError';
  }
}

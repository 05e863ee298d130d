// What both discovery responders share: the tuner's description, and one binding per host.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { TunerDevice } from '../lineup.js';

/** The tuner as announced on one local address. */
export interface Announcement {
  device: TunerDevice;
  /** Base URL of the HTTP API on that address (scheme, host, port, any prefix). */
  baseUrl: string;
}

export interface DiscoveryLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface ResponderOptions {
  /** `0.0.0.0` for every IPv4 interface, or one address (tests bind their own loopback address). */
  address: string;
  port: number;
  /** The announcement for the local address a request came in on. */
  announce(localAddress: string): Promise<Announcement>;
  logger: DiscoveryLogger;
}

/** How often a worker that lost the bind to another worker of its host tries again. */
const RETRY_BIND_MS = 10_000;

/**
 * Binds `port` exclusively, so of a host's workers one answers (the others would each send a
 * duplicate). A worker that finds the port taken tries again later, so the next one takes
 * over when the holder exits. `reuseAddr` lets SSDP share 1900 with other UPnP programs.
 */
export abstract class UdpBinding {
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private bound: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    protected readonly options: ResponderOptions,
    private readonly setup: (socket: Socket) => void = () => {},
    private readonly reuseAddr = false,
  ) {}

  /** Answers one datagram (to its sender only); a failure is logged, never thrown. */
  protected abstract answer(message: Buffer, from: RemoteInfo, socket: Socket): Promise<void>;

  /** Resolves once this worker holds the port, or once it knows another holds it. */
  start(): Promise<void> {
    this.bound ??= this.tryBind();
    return this.bound;
  }

  private tryBind(): Promise<void> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: 'udp4', reuseAddr: this.reuseAddr });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.close();
        if (err.code !== 'EADDRINUSE') this.options.logger.warn(`${this.name} could not listen`, { error: err.message });
        if (!this.closed) this.timer = setTimeout(() => void this.tryBind(), RETRY_BIND_MS).unref();
        resolve();
      });
      socket.on('message', (message, from) => {
        this.answer(message, from, socket).catch((err: Error) =>
          this.options.logger.warn(`${this.name} reply failed`, { error: err.message }),
        );
      });
      socket.bind({ address: this.options.address, port: this.options.port, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.options.logger.warn(`${this.name} socket error`, { error: err.message }));
        this.setup(socket);
        this.socket = socket;
        this.options.logger.info(`${this.name} listening`, { address: this.options.address, port: socket.address().port });
        resolve();
      });
    });
  }

  /** The port actually bound (tests bind port 0), or null when another worker holds it. */
  port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }
}

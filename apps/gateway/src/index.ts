// The gateway is an application, not a library: it runs from main.ts and exports nothing.
export {};

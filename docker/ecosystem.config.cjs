// pm2 cluster mode: pm2 forks the processes itself (NODE_APP_INSTANCE is set), so each runs as a
// plain gateway worker; they coordinate through Redis exactly like node:cluster workers.
module.exports = {
  apps: [
    {
      name: 'acestream-proxy',
      script: 'apps/gateway/dist/main.js',
      exec_mode: 'cluster',
      instances: 'max',
      kill_timeout: 10000,
      env: {
        REDIS_URL: 'redis://127.0.0.1:6379',
        ENGINES: '127.0.0.1:6878',
      },
    },
  ],
};

// pm2 cluster mode: pm2 forks the processes itself (NODE_APP_INSTANCE is set), so each runs as a
// plain gateway worker; they coordinate through Redis exactly like node:cluster workers.
// Usage, from anywhere: pm2 start docker/ecosystem.config.cjs
const path = require('node:path');

module.exports = {
  apps: [
    {
      name: 'acestream-proxy',
      // Paths resolve from the repository root, wherever pm2 is started.
      cwd: path.join(__dirname, '..'),
      script: 'apps/gateway/dist/main.js',
      exec_mode: 'cluster',
      instances: 'max',
      // The gateway stops within 8 s (workers give up on slow engines after 7 s).
      kill_timeout: 10000,
      env: {
        REDIS_URL: 'redis://127.0.0.1:6379',
        ENGINES: '127.0.0.1:6878',
      },
    },
  ],
};

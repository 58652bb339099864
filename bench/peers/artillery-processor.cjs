// Artillery processor for bench/peers/artillery.yaml: each virtual user pings for PEERS_SECONDS
// (default 15) from its first ping, then its loop ends and it closes its connection.
'use strict';
const seconds = Number(process.env.PEERS_SECONDS || 15);

function inWindow(context, done) {
  const now = Date.now();
  if (context.vars.peersEnd === undefined) context.vars.peersEnd = now + seconds * 1000;
  return done(now < context.vars.peersEnd);
}

module.exports = { inWindow };

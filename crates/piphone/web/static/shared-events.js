// One live-update stream per browser, however many console tabs are open.
//
// Over HTTP/1.1 a browser opens at most six connections to one host, and every open EventSource holds one for
// good: with six console tabs open, every other request to piphone from that browser (a page, "Next caller",
// a token) would wait for ever. So the tabs elect one of them (a Web Lock, released when that tab closes or
// navigates away) to hold the stream, and it passes every event on to the others over a BroadcastChannel.
// A tab that opens later asks for the latest picture at once; when the holder goes, another tab takes over.

const LOCK = 'piphone-live-stream';

/**
 * Follows the named events of the SSE stream at `url`.
 * handlers: { [eventName]: (data: string) => void, state: ({ connected, closed }) => void }
 */
export function listenShared(url, eventNames, handlers) {
  const channelName = `${LOCK} ${url}`;
  if (!('locks' in navigator) || typeof BroadcastChannel !== 'function') {
    openStream(url, eventNames, handlers, () => {});
    return;
  }
  const channel = new BroadcastChannel(channelName);
  let holding = false;
  const last = {}; // event name -> latest data (the holder's), so that new tabs start with the picture
  let state = { connected: false, closed: false };
  channel.onmessage = ({ data: msg }) => {
    if (msg.type === 'hello') {
      if (holding) {
        for (const [name, data] of Object.entries(last)) channel.postMessage({ type: 'event', name, data });
        channel.postMessage({ type: 'state', state });
      }
      return;
    }
    if (holding) return; // the holder hears its own stream
    if (msg.type === 'event') handlers[msg.name]?.(msg.data);
    if (msg.type === 'state') handlers.state?.(msg.state);
  };
  channel.postMessage({ type: 'hello' });
  navigator.locks.request(LOCK + url, () => {
    holding = true;
    return new Promise(() => {
      // Held until this tab goes: the browser then releases the lock and the next tab in line opens the stream.
      openStream(url, eventNames, handlers, (kind, name, data) => {
        if (kind === 'event') {
          last[name] = data;
          channel.postMessage({ type: 'event', name, data });
        } else {
          state = data;
          channel.postMessage({ type: 'state', state });
        }
      });
    });
  });
}

function openStream(url, eventNames, handlers, share) {
  const source = new EventSource(url);
  for (const name of eventNames) {
    source.addEventListener(name, (event) => {
      handlers[name]?.(event.data);
      share('event', name, event.data);
    });
  }
  const report = () => {
    const state = { connected: source.readyState === EventSource.OPEN, closed: source.readyState === EventSource.CLOSED };
    handlers.state?.(state);
    share('state', null, state);
  };
  source.addEventListener('open', report);
  source.addEventListener('error', report);
}

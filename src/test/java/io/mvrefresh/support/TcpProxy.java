package io.mvrefresh.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on loopback that a test can cut and restore, to take PostgreSQL away from the
 * application without stopping the server other tests use. While cut, open connections are
 * closed and new ones are accepted and closed at once, as a server going away looks to a client.
 * One connection can also be frozen: half-open, it drops every byte and closes nothing.
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger refusedWhileCut = new java.util.concurrent.atomic.AtomicInteger();
    private final Set<Socket> frozen = ConcurrentHashMap.newKeySet();
    /** Both sockets of each forwarded connection, by the local port of its upstream socket (PostgreSQL's client_port). */
    private final Map<Integer, List<Socket>> byUpstreamPort = new ConcurrentHashMap<>();
    private volatile boolean cut;
    private volatile boolean closed;

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Drops every connection and refuses new ones until {@link #restore()}. */
    public void cut() {
        cut = true;
        open.forEach(TcpProxy::closeQuietly);
        open.clear();
    }

    /**
     * Makes the connection whose upstream socket has local port {@code upstreamPort} (what
     * PostgreSQL shows as its {@code client_port}) half-open: from now on every byte either side
     * sends is dropped, and nothing is closed, as after a failover without RST or a dropped NAT
     * entry. Answers whether such a connection was open.
     */
    public boolean freeze(int upstreamPort) {
        List<Socket> pair = byUpstreamPort.get(upstreamPort);
        if (pair == null) {
            return false;
        }
        frozen.addAll(pair);
        return true;
    }

    public void restore() {
        cut = false;
    }

    /** Connections attempted (and dropped) while cut: how hard the client retried. */
    public int refusedWhileCut() {
        return refusedWhileCut.get();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        cut();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                if (cut) {
                    refusedWhileCut.incrementAndGet();
                    closeQuietly(client);
                    continue;
                }
                Socket upstream = new Socket(targetHost, targetPort);
                open.add(client);
                open.add(upstream);
                byUpstreamPort.put(upstream.getLocalPort(), List.of(client, upstream));
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (frozen.contains(from)) {
                        continue;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                // One side went away: close both, as a real network failure would.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
                frozen.remove(from);
                frozen.remove(to);
            }
        }, "tcp-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Closing is best effort; the socket is gone either way.
        }
    }
}

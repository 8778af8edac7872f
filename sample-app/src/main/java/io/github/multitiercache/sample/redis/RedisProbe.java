package io.github.multitiercache.sample.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Tells whether a Redis server answers at an address: a TCP connect, then an inline {@code PING},
 * each bounded by the timeout. Any RESP status or error line counts as an answer, so a server that
 * demands authentication ({@code -NOAUTH}) is recognised as the Redis it is.
 */
final class RedisProbe {

    private static final byte[] PING = "PING\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final int MAX_LINE = 256;

    private RedisProbe() {
    }

    /**
     * The outcome of a probe.
     *
     * @param answered whether a Redis server answered
     * @param detail the reply line, or why there was none ("connection refused", "no reply within 500ms")
     */
    record Result(boolean answered, String detail) {
    }

    /**
     * Probes an address.
     * @param host the host name or address
     * @param port the port
     * @param timeout the bound of the connect and, separately, of the reply
     * @return whether a Redis server answered, and what it said or why it did not
     */
    static Result probe(String host, int port, Duration timeout) {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
            OutputStream out = socket.getOutputStream();
            out.write(PING);
            out.flush();
            String line = readLine(socket.getInputStream());
            if (line.startsWith("+") || line.startsWith("-")) {
                return new Result(true, line);
            }
            return new Result(false, line.isEmpty() ? "connection closed without a reply"
                    : "reply is not Redis: " + line);
        }
        catch (UnknownHostException ex) {
            return new Result(false, "unknown host " + host);
        }
        catch (ConnectException ex) {
            return new Result(false, "connection refused");
        }
        catch (SocketTimeoutException ex) {
            return new Result(false, "no answer within " + millis + "ms");
        }
        catch (IOException ex) {
            return new Result(false, ex.toString());
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int next;
        while (line.length() < MAX_LINE && (next = in.read()) >= 0 && next != '\n') {
            if (next != '\r') {
                line.append((char) next);
            }
        }
        return line.toString();
    }
}

package io.github.multitiercache.testsupport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A minimal blocking RESP2 client used to administer the test servers: one socket, one command at a
 * time, bounded by a socket timeout. Replies are mapped to {@link String} (simple and bulk strings),
 * {@link Long} (integers), {@link List} (arrays, unmodifiable) and {@code null} (nil). A top-level error
 * reply throws {@link IllegalStateException}; an error nested in an array is returned as its text.
 */
final class Resp implements Closeable {

    private final Socket socket;

    private final InputStream in;

    private final OutputStream out;

    private Resp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    static Resp connect(String host, int port, Duration timeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
            socket.connect(new InetSocketAddress(host, port), Math.toIntExact(timeout.toMillis()));
            return new Resp(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Runs one command on a new connection and closes it. */
    static @Nullable Object once(String host, int port, Duration timeout, String... command) throws IOException {
        try (Resp resp = connect(host, port, timeout)) {
            return resp.call(command);
        }
    }

    @Nullable Object call(String... command) throws IOException {
        if (command.length == 0) {
            throw new IllegalArgumentException("A command needs at least its name");
        }
        out.write(('*' + Integer.toString(command.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String argument : command) {
            byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
            out.write(('$' + Integer.toString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write('\r');
            out.write('\n');
        }
        out.flush();
        Object reply = read();
        if (reply instanceof ErrorReply) {
            throw new IllegalStateException(((ErrorReply) reply).message);
        }
        return reply;
    }

    private @Nullable Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("Connection closed by the server");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new ErrorReply(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length);
                if (bytes.length < length || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("Connection closed in the middle of a reply");
                }
                return new String(bytes, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<@Nullable Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    Object item = read();
                    items.add(item instanceof ErrorReply ? ((ErrorReply) item).message : item);
                }
                return Collections.unmodifiableList(items);
            }
            default:
                throw new IOException("Unexpected RESP type byte '" + (char) type + "'");
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("Connection closed in the middle of a reply");
            }
            if (b == '\r') {
                int next = in.read();
                if (next == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(b);
                if (next < 0) {
                    throw new EOFException("Connection closed in the middle of a reply");
                }
                line.write(next);
            } else {
                line.write(b);
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static final class ErrorReply {

        final String message;

        ErrorReply(String message) {
            this.message = message;
        }
    }
}

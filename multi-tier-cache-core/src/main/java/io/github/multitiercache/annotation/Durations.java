package io.github.multitiercache.annotation;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations written in annotations: {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h},
 * {@code 1d} (also {@code ns} and {@code us}), a bare number of milliseconds, or ISO-8601
 * ({@code PT30S}).
 */
final class Durations {

    private static final Pattern SIMPLE = Pattern.compile("^([+]?\\d+)([a-zA-Z]{0,2})$");

    private Durations() {
    }

    static Duration parse(String text) {
        String trimmed = text.trim();
        Matcher matcher = SIMPLE.matcher(trimmed);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            return switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
                case "ns" -> Duration.ofNanos(amount);
                case "us" -> Duration.ofNanos(amount * 1000);
                case "", "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> throw invalid(text);
            };
        }
        try {
            return Duration.parse(trimmed);
        }
        catch (DateTimeParseException ex) {
            throw invalid(text);
        }
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("'" + text + "' is not a duration; write for example 500ms, 30s, 10m, 2h,"
                + " 1d or PT30S");
    }
}

package io.sharedmap.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;

/** A time to live as the CLI takes it: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT30S}). */
final class Ttl implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
        return parse(text);
    }

    static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (t.startsWith("p")) {
                d = Duration.parse(text.trim());
            } else {
                int unitAt = 0;
                while (unitAt < t.length() && Character.isDigit(t.charAt(unitAt))) {
                    unitAt++;
                }
                if (unitAt == 0) {
                    throw new NumberFormatException();
                }
                long n = Long.parseLong(t.substring(0, unitAt));
                d = switch (t.substring(unitAt)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s", "" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> throw new NumberFormatException();
                };
            }
        } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "time to live '" + text
                            + "' is not a number with a unit (500ms, 30s, 5m, 2h, 1d) or ISO-8601 (PT30S)");
        }
        if (d.toMillis() < 1) {
            throw new CliException(
                    ExitCodes.USAGE, "time to live '" + text + "' is under 1 ms, the deadlines' resolution");
        }
        return d;
    }
}

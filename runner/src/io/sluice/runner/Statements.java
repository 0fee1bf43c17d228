package io.sluice.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a Flink SQL script into statements on top-level semicolons: outside quoted text
 * ({@code '…'}, {@code `…`}, {@code "…"}, doubled quotes escape) and outside comments, which
 * are dropped. {@code EXECUTE STATEMENT SET BEGIN … END} stays one statement.
 */
final class Statements {
    private Statements() {}

    static List<String> split(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            if (c == '\'' || c == '`' || c == '"') {
                int j = i + 1;
                while (j < n) {
                    if (script.charAt(j) == c) {
                        if (j + 1 < n && script.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                current.append(script, i, Math.min(j + 1, n));
                i = j + 1;
            } else if (script.startsWith("--", i)) {
                int end = script.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (script.startsWith("/*", i)) {
                int end = script.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                current.append(' ');
            } else if (c == ';' && !inOpenBlock(current)) {
                add(statements, current);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        add(statements, current);
        return statements;
    }

    /** Whether `text` opens a statement set whose END has not been seen yet. */
    private static boolean inOpenBlock(StringBuilder text) {
        String words = text.toString().trim().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
        if (!words.startsWith("EXECUTE STATEMENT SET BEGIN")) {
            return false;
        }
        return !words.endsWith(" END");
    }

    private static void add(List<String> statements, StringBuilder current) {
        String statement = current.toString().trim();
        if (!statement.isEmpty()) {
            statements.add(statement);
        }
        current.setLength(0);
    }
}

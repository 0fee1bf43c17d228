package io.sluice.runner;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

/**
 * Runs a Flink SQL script as one job, for session clusters that lack Flink's own SqlDriver
 * (it lives in flink-sql-gateway.jar, which not every distribution ships).
 *
 * <p>Arguments are SqlDriver's: {@code --script '<SQL>'} or {@code --scriptUri <uri>}. Leading
 * {@code SET 'key' = 'value';} statements configure the TableEnvironment (runtime mode,
 * pipeline name, checkpointing); every other statement goes to {@code executeSql}. A job
 * submitted over REST may start one job, so a script holds one INSERT or one
 * {@code EXECUTE STATEMENT SET BEGIN … END;}. Any failure propagates, so the REST answer to
 * the submission carries Flink's own message.
 */
public final class SqlRunner {
    private static final Pattern SET =
            Pattern.compile("(?is)^SET\\s+'((?:[^']|'')*)'\\s*=\\s*'((?:[^']|'')*)'$");

    private SqlRunner() {}

    public static void main(String[] args) throws Exception {
        String script = readScript(args);
        Map<String, String> settings = new LinkedHashMap<>();
        List<String> statements = new ArrayList<>();
        for (String statement : Statements.split(script)) {
            Matcher set = SET.matcher(statement);
            if (set.matches() && statements.isEmpty()) {
                settings.put(unquote(set.group(1)), unquote(set.group(2)));
            } else {
                statements.add(statement);
            }
        }
        if (statements.isEmpty()) {
            throw new IllegalArgumentException("the script has no statement to run");
        }
        EnvironmentSettings environment =
                EnvironmentSettings.newInstance().withConfiguration(Configuration.fromMap(settings)).build();
        TableEnvironment tables = TableEnvironment.create(environment);
        for (String statement : statements) {
            Matcher set = SET.matcher(statement);
            if (set.matches()) {
                tables.getConfig().set(unquote(set.group(1)), unquote(set.group(2)));
                continue;
            }
            TableResult result = tables.executeSql(statement);
            result.getJobClient()
                    .ifPresent(job -> System.out.println("[sluice-runner] submitted job " + job.getJobID()));
        }
    }

    private static String readScript(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--script")) {
                return args[i + 1];
            }
            if (args[i].equals("--scriptUri")) {
                try (InputStream in = URI.create(args[i + 1]).toURL().openStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        }
        throw new IllegalArgumentException("usage: SqlRunner --script <sql> | --scriptUri <uri>");
    }

    private static String unquote(String quoted) {
        return quoted.replace("''", "'");
    }
}

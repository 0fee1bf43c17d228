// What DBeaver/DataGrip and JDBC applications do: DatabaseMetaData and a
// PreparedStatement run often enough that pgjdbc switches to a named server-side
// statement. Run with: java -cp postgresql.jar JdbcCheck.java URL USER PASSWORD PREVIEW N
// where PREVIEW is a PREVIEW statement with one integer parameter (?) and N its value.
// Prints one line per check; exits non-zero on the first failure.
import java.sql.*;
import java.util.*;

public class JdbcCheck {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
        System.out.println("ok " + what);
    }

    /** Every row of `rs` as "v1|v2|…", sorted. */
    static List<String> rows(ResultSet rs) throws SQLException {
        List<String> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= n; i++) row.append(i > 1 ? "|" : "").append(rs.getString(i));
            out.add(row.toString());
        }
        rs.close();
        Collections.sort(out);
        return out;
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        props.setProperty("password", args[2]);
        props.setProperty("prepareThreshold", "5");
        try (Connection conn = DriverManager.getConnection(args[0], props)) {
            DatabaseMetaData meta = conn.getMetaData();
            check(meta.getDatabaseProductName().equals("PostgreSQL"), "product name " + meta.getDatabaseProductName());
            check(meta.getDatabaseMajorVersion() >= 12, "server version " + meta.getDatabaseProductVersion());

            List<String> schemas = new ArrayList<>();
            try (ResultSet rs = meta.getSchemas()) {
                while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
            }
            check(schemas.contains("sluice"), "getSchemas " + schemas);

            List<String> tables = new ArrayList<>();
            try (ResultSet rs = meta.getTables(null, "sluice", "%", new String[] {"TABLE"})) {
                while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
            }
            check(tables.containsAll(List.of("roles", "sources", "pipelines", "deployments", "events")), "getTables " + tables);

            List<String> columns = new ArrayList<>();
            try (ResultSet rs = meta.getColumns(null, "sluice", "sources", "%")) {
                while (rs.next()) columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME") + ":" + rs.getInt("NULLABLE"));
            }
            check(columns.equals(List.of("name:text:0", "type:text:0", "options:text:0", "status:text:0", "owner:text:0",
                    "created_at:timestamptz:0", "updated_at:timestamptz:0")), "getColumns " + columns);

            // keys and indexes, as DBeaver's and DataGrip's navigators read them
            List<String> keys = new ArrayList<>();
            try (ResultSet rs = meta.getPrimaryKeys(null, "sluice", "columns")) {
                while (rs.next()) keys.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("KEY_SEQ") + ":" + rs.getString("PK_NAME"));
            }
            check(keys.equals(List.of("source:1:columns_pkey", "database:2:columns_pkey", "table_name:3:columns_pkey",
                    "ordinal:4:columns_pkey")), "getPrimaryKeys " + keys);
            List<String> indexes = new ArrayList<>();
            try (ResultSet rs = meta.getIndexInfo(null, "sluice", "pipeline_versions", false, false)) {
                while (rs.next()) indexes.add(rs.getString("INDEX_NAME") + ":" + rs.getBoolean("NON_UNIQUE") + ":"
                        + rs.getInt("ORDINAL_POSITION") + ":" + rs.getString("COLUMN_NAME"));
            }
            check(indexes.equals(List.of("pipeline_versions_pkey:false:1:pipeline", "pipeline_versions_pkey:false:2:version")),
                    "getIndexInfo " + indexes);
            List<String> imported = new ArrayList<>();
            try (ResultSet rs = meta.getImportedKeys(null, "sluice", "columns")) {
                while (rs.next()) imported.add(rs.getString("PKTABLE_NAME") + "." + rs.getString("PKCOLUMN_NAME") + "<-"
                        + rs.getString("FKCOLUMN_NAME") + ":" + rs.getInt("KEY_SEQ") + ":" + rs.getString("FK_NAME"));
            }
            check(imported.equals(List.of("tables.source<-source:1:columns_source_database_table_name_fkey",
                    "tables.database<-database:2:columns_source_database_table_name_fkey",
                    "tables.name<-table_name:3:columns_source_database_table_name_fkey")), "getImportedKeys " + imported);
            Map<String, Integer> typeInfo = new HashMap<>();
            try (ResultSet rs = meta.getTypeInfo()) {
                while (rs.next()) typeInfo.put(rs.getString("TYPE_NAME"), rs.getInt("DATA_TYPE"));
            }
            check(Integer.valueOf(Types.INTEGER).equals(typeInfo.get("int4")) && Integer.valueOf(Types.NUMERIC).equals(typeInfo.get("numeric"))
                    && Integer.valueOf(Types.VARCHAR).equals(typeInfo.get("text")), "getTypeInfo int4/numeric/text of " + typeInfo.size());
            List<String> functions = new ArrayList<>();
            try (ResultSet rs = meta.getFunctions(null, "pg_catalog", "array_length")) {
                while (rs.next()) functions.add(rs.getString("FUNCTION_SCHEM") + "." + rs.getString("FUNCTION_NAME"));
            }
            check(functions.equals(List.of("pg_catalog.array_length")), "getFunctions " + functions);
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT CAST(12.34 AS numeric(10,2)) AS price")) {
                ResultSetMetaData md = rs.getMetaData();
                check(md.getColumnType(1) == Types.NUMERIC && md.getPrecision(1) == 10 && md.getScale(1) == 2
                        && rs.next() && rs.getString(1).equals("12.34"), "numeric(10,2) metadata " + md.getPrecision(1) + "," + md.getScale(1));
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT ? AS amount")) {
                for (int i = 0; i < 6; i++) {
                    ps.setBigDecimal(1, new java.math.BigDecimal("12.34"));
                    try (ResultSet rs = ps.executeQuery()) {
                        check(rs.next() && rs.getString(1).equals("12.34") && rs.getBigDecimal(1).equals(new java.math.BigDecimal("12.34")),
                                "numeric parameter round trip, run " + (i + 1));
                    }
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT name, superuser FROM sluice.roles WHERE name = ?")) {
                for (int i = 0; i < 10; i++) {
                    ps.setString(1, args[1]);
                    try (ResultSet rs = ps.executeQuery()) {
                        check(rs.next() && rs.getString(1).equals(args[1]) && rs.getBoolean(2) && !rs.next(), "prepared run " + (i + 1));
                    }
                }
                check(ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare(), "server-side prepare in use");
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT ? + 1 AS n, ? AS s")) {
                ps.setLong(1, 41);
                ps.setString(2, "jdbc");
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next() && rs.getLong("n") == 42 && rs.getString("s").equals("jdbc"), "typed parameters");
                }
            }
            // a gateway statement with a parameter: the same rows as with the literal written in
            String preview = args[3];
            int value = Integer.parseInt(args[4]);
            List<String> literal = rows(conn.createStatement().executeQuery(preview.replace("?", args[4])));
            check(!literal.isEmpty(), "PREVIEW with the literal " + literal);
            try (PreparedStatement ps = conn.prepareStatement(preview)) {
                check(ps.getParameterMetaData().getParameterType(1) == Types.INTEGER,
                        "PREVIEW parameter type " + ps.getParameterMetaData().getParameterTypeName(1));
                for (int i = 0; i < 6; i++) {
                    ps.setInt(1, value);
                    List<String> bound = rows(ps.executeQuery());
                    check(bound.equals(literal), "PREVIEW with a parameter, run " + (i + 1) + ": " + bound);
                }
                check(ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare(), "PREVIEW prepared server-side");
            }
            try (Statement st = conn.createStatement()) {
                st.executeQuery("SELECT * FROM sluice.nothing_here");
                check(false, "error expected");
            } catch (SQLException e) {
                check("42P01".equals(e.getSQLState()), "SQLSTATE " + e.getSQLState());
            }
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM sluice.roles")) {
                check(rs.next() && rs.getLong(1) >= 1, "query inside a transaction");
            }
            conn.commit();
        }
        System.out.println("done");
    }
}

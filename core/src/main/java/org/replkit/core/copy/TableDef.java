package org.replkit.core.copy;

import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.changelog.Dialect;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A table as a portable copy describes it: its columns with exact types, its primary key and its
 * secondary indexes, read from the source's catalog and written back as DDL for any supported database.
 *
 * <p>Each column has a portable {@link Type} with its length, precision and scale, and the source's own
 * spelling of the type ({@code nativeType}). A copy into the same kind of database uses the native type,
 * so PostgreSQL arrays, enums or {@code jsonb} and MariaDB {@code enum}, {@code mediumtext} or unsigned
 * integers come back exactly; a copy into another kind maps the portable type:
 * <pre>
 *   portable         PostgreSQL               MariaDB                      H2
 *   BOOLEAN          boolean                  boolean                      BOOLEAN
 *   SMALLINT/INTEGER/BIGINT                   same names
 *   DECIMAL(p,s)     numeric(p,s) / numeric   decimal(p,s) (p &lt;= 65)      NUMERIC(p,s) / DECFLOAT
 *   REAL / DOUBLE    real / double precision  float / double               REAL / DOUBLE PRECISION
 *   CHAR(n)          char(n)                  char(n) (n &lt;= 255)           CHAR(n)
 *   VARCHAR(n)       varchar(n)               varchar(n) (n &lt;= 16383)      VARCHAR(n)
 *   TEXT / CLOB      text                     longtext                     VARCHAR / CLOB
 *   BINARY(n)        bytea                    binary(n)                    BINARY(n)
 *   VARBINARY(n)     bytea                    varbinary(n)                 VARBINARY(n)
 *   BLOB             bytea                    longblob                     BLOB
 *   DATE             date                     date                         DATE
 *   TIME(p)          time(p)                  time(p) (p &lt;= 6)             TIME(p)
 *   TIMESTAMP(p)     timestamp(p)             datetime(p)                  TIMESTAMP(p)
 *   TIMESTAMP_TZ(p)  timestamptz(p)           timestamp(p) (an instant)    TIMESTAMP(p) WITH TIME ZONE
 *   UUID             uuid                     uuid                         UUID
 *   JSON             json (text kept exactly) json                         JSON
 *   OTHER            text (its text form; exact only between databases of the same kind)
 * </pre>
 * A type wider than the target allows (a precision or length above its maximum) becomes the target's
 * widest form of it, so no value is refused; the values themselves travel exactly.
 *
 * <p>Names keep the source's spelling, except that an identifier in the source's unquoted case becomes
 * one in the target's unquoted case ({@code ACCT} from H2 is {@code acct} on PostgreSQL and MariaDB), the
 * same rule the replication server's applier uses, so replicated changes find the copied tables.
 */
public record TableDef(String schema, String name, List<Col> columns, List<String> key, List<Index> indexes)
{
   /** The portable types; see the class comment for how each is written for each database. */
   public enum Type
   {
      BOOLEAN, SMALLINT, INTEGER, BIGINT, DECIMAL, REAL, DOUBLE, CHAR, VARCHAR, TEXT, CLOB, BINARY, VARBINARY, BLOB,
      DATE, TIME, TIMESTAMP, TIMESTAMP_TZ, UUID, JSON, OTHER
   }

   /**
    * A column. {@code length}: characters or bytes (CHAR, VARCHAR, BINARY, VARBINARY); {@code precision}:
    * digits (DECIMAL; null when unbounded) or fractional-second digits (TIME, TIMESTAMP, TIMESTAMP_TZ);
    * {@code scale}: DECIMAL's digits after the point; {@code nativeType}: the source's own spelling.
    */
   public record Col(String name, ColumnKind kind, Type type, Integer length, Integer precision, Integer scale, boolean nullable, String nativeType)
   {
   }

   /** A secondary index over plain columns (expression indexes are not copied). */
   public record Index(String name, boolean unique, List<String> columns)
   {
   }

   /** Reads a table from the catalog; throws naming the table when it does not exist. */
   public static TableDef read(Connection c, String schema, String table) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      final DatabaseMetaData md = c.getMetaData();
      final String cat = d == Dialect.MARIADB ? schema : null;
      final String sch = d == Dialect.MARIADB ? null : schema;
      final Map<String, String> natives = nativeTypes(c, d, schema, table);
      final TreeMap<Integer, Col> ordered = new TreeMap<>();
      try (ResultSet rs = md.getColumns(cat, sch, table, null)) {
         while (rs.next()) {
            final String col = rs.getString("COLUMN_NAME");
            final int digits = rs.getInt("DECIMAL_DIGITS");
            final boolean noDigits = rs.wasNull();
            ordered.put(rs.getInt("ORDINAL_POSITION"), column(d, col, rs.getInt("DATA_TYPE"), rs.getString("TYPE_NAME"), rs.getInt("COLUMN_SIZE"),
                                                              noDigits ? null : digits, rs.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls, natives.get(col)));
         }
      }
      if (ordered.isEmpty()) {
         throw new SQLException("table " + (schema == null ? "" : schema + ".") + table + " does not exist at the source", "42P01");
      }
      final TreeMap<Integer, String> pk = new TreeMap<>();
      String pkName = null;
      try (ResultSet rs = md.getPrimaryKeys(cat, sch, table)) {
         while (rs.next()) {
            pk.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
            pkName = rs.getString("PK_NAME");
         }
      }
      final Map<String, Index> indexes = new LinkedHashMap<>();
      final List<String> skipped = new ArrayList<>();
      try (ResultSet rs = md.getIndexInfo(cat, sch, table, false, false)) {
         while (rs.next()) {
            final String name = rs.getString("INDEX_NAME");
            if (name == null || rs.getShort("TYPE") == DatabaseMetaData.tableIndexStatistic || name.equals(pkName) || name.equals("PRIMARY")) {
               continue;
            }
            final String col = rs.getString("COLUMN_NAME");
            if (col == null || col.startsWith("(")) {
               skipped.add(name); // an expression index: not portable
               continue;
            }
            Index index = indexes.get(name);
            if (index == null) {
               index = new Index(name, !rs.getBoolean("NON_UNIQUE"), new ArrayList<>());
               indexes.put(name, index);
            }
            index.columns().add(col);
         }
      }
      skipped.forEach(indexes::remove);
      final List<String> key = List.copyOf(pk.values());
      // the key's own index (a unique index on exactly the key that the catalog lists separately) is the primary key
      indexes.values().removeIf(i -> i.unique() && i.columns().equals(key));
      return new TableDef(schema, table, List.copyOf(ordered.values()), key,
                          indexes.values().stream().map(i -> new Index(i.name(), i.unique(), List.copyOf(i.columns()))).toList());
   }

   private static Col column(Dialect d, String name, int jdbcType, String typeName, int size, Integer digits, boolean nullable, String nativeType)
   {
      final String t = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
      if (d == Dialect.MARIADB && "json".equalsIgnoreCase(nativeType)) {
         return new Col(name, ColumnKind.JSON, Type.JSON, null, null, null, nullable, nativeType);
      }
      if (d == Dialect.MARIADB && t.equals("year")) {
         return new Col(name, ColumnKind.INTEGER, Type.SMALLINT, null, null, null, nullable, nativeType);
      }
      if (d == Dialect.POSTGRESQL && (t.equals("bit") || t.equals("varbit") || t.equals("money") || t.equals("timetz"))) {
         return new Col(name, ColumnKind.OTHER, Type.OTHER, null, null, null, nullable, nativeType); // no portable equivalent: their text form
      }
      final ColumnKind kind = ColumnKind.of(jdbcType, typeName);
      final boolean unsigned = t.contains("unsigned");
      final boolean huge = size <= 0 || size >= 1_000_000; // PostgreSQL text and bytea, H2's unbounded VARCHAR, MariaDB's long types
      return switch (kind) {
         case BOOLEAN -> new Col(name, kind, Type.BOOLEAN, null, null, null, nullable, nativeType);
         case INTEGER -> {
            final Type it = switch (jdbcType) {
               case Types.TINYINT -> Type.SMALLINT;
               case Types.SMALLINT -> unsigned ? Type.INTEGER : Type.SMALLINT;
               case Types.INTEGER -> unsigned ? Type.BIGINT : Type.INTEGER;
               case Types.BIGINT -> unsigned ? Type.DECIMAL : Type.BIGINT;
               default -> Type.BIGINT; // MariaDB BIT(n)
            };
            yield new Col(name, kind, it, null, it == Type.DECIMAL ? 20 : null, it == Type.DECIMAL ? 0 : null, nullable, nativeType);
         }
         case DECIMAL -> {
            // PostgreSQL's unbounded numeric reports size 0 or 131089; H2's 100000
            final boolean unbounded = size <= 0 || size > 1000;
            yield new Col(name, kind, Type.DECIMAL, null, unbounded ? null : size, unbounded ? null : digits == null ? 0 : digits, nullable, nativeType);
         }
         case REAL -> new Col(name, kind, Type.REAL, null, null, null, nullable, nativeType);
         case DOUBLE -> new Col(name, kind, Type.DOUBLE, null, null, null, nullable, nativeType);
         case TEXT -> {
            if (jdbcType == Types.CLOB || jdbcType == Types.NCLOB) {
               yield new Col(name, kind, Type.CLOB, null, null, null, nullable, nativeType);
            }
            if (huge || jdbcType == Types.LONGVARCHAR || jdbcType == Types.LONGNVARCHAR) {
               yield new Col(name, kind, Type.TEXT, null, null, null, nullable, nativeType);
            }
            yield new Col(name, kind, jdbcType == Types.CHAR || jdbcType == Types.NCHAR ? Type.CHAR : Type.VARCHAR, size, null, null, nullable, nativeType);
         }
         case BINARY -> {
            if (huge || jdbcType == Types.BLOB || jdbcType == Types.LONGVARBINARY) {
               yield new Col(name, kind, Type.BLOB, null, null, null, nullable, nativeType);
            }
            yield new Col(name, kind, jdbcType == Types.BINARY ? Type.BINARY : Type.VARBINARY, size, null, null, nullable, nativeType);
         }
         case DATE -> new Col(name, kind, Type.DATE, null, null, null, nullable, nativeType);
         case TIME -> new Col(name, kind, Type.TIME, null, fraction(d, digits, size, 8), null, nullable, nativeType);
         case TIMESTAMP -> new Col(name, kind, Type.TIMESTAMP, null, fraction(d, digits, size, 19), null, nullable, nativeType);
         case TIMESTAMP_TZ -> new Col(name, kind, Type.TIMESTAMP_TZ, null, fraction(d, digits, size, 19), null, nullable, nativeType);
         case UUID -> new Col(name, kind, Type.UUID, null, null, null, nullable, nativeType);
         case JSON -> new Col(name, kind, Type.JSON, null, null, null, nullable, nativeType);
         case OTHER -> new Col(name, kind, Type.OTHER, null, null, null, nullable, nativeType);
      };
   }

   /** Fractional-second digits: DECIMAL_DIGITS where the driver gives it, else from MariaDB's display size. */
   private static Integer fraction(Dialect d, Integer digits, int size, int whole)
   {
      if (d == Dialect.MARIADB || digits == null) {
         // MariaDB: TIME is 10 wide (838:59:59), DATETIME/TIMESTAMP 19; the fraction adds a point and its digits
         final int base = d == Dialect.MARIADB && whole == 8 ? 10 : whole;
         return size > base + 1 ? size - base - 1 : 0;
      }
      return digits;
   }

   /** Each column's type as the source database itself spells it, for copies into the same kind of database. */
   private static Map<String, String> nativeTypes(Connection c, Dialect d, String schema, String table) throws SQLException
   {
      final Map<String, String> out = new LinkedHashMap<>();
      switch (d) {
         case POSTGRESQL -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                                                           + " WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
               ps.setString(1, d.qualified(schema, table));
               try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                     out.put(rs.getString(1), rs.getString(2));
                  }
               }
            }
         }
         case MARIADB -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT c.COLUMN_NAME, c.COLUMN_TYPE, EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k"
                                                           + " WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME"
                                                           + " AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)'))"
                                                           + " FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ?")) {
               ps.setString(1, schema);
               ps.setString(2, table);
               try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                     out.put(rs.getString(1), rs.getBoolean(3) ? "json" : rs.getString(2)); // JSON is longtext with a json_valid check
                  }
               }
            }
         }
         case H2 -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE,"
                                                           + " DATETIME_PRECISION FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?")) {
               ps.setString(1, schema);
               ps.setString(2, table);
               try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                     out.put(rs.getString(1), h2Type(rs.getString(2), (Number) rs.getObject(3), (Number) rs.getObject(4), (Number) rs.getObject(5),
                                                     (Number) rs.getObject(6)));
                  }
               }
            }
         }
      }
      return out;
   }

   private static String h2Type(String type, Number length, Number precision, Number scale, Number fraction)
   {
      return switch (type) {
         case "CHARACTER", "CHARACTER VARYING", "BINARY", "BINARY VARYING" -> type + "(" + length + ")";
         case "NUMERIC", "DECIMAL" -> type + "(" + precision + ", " + scale + ")";
         case "DECFLOAT" -> type + "(" + precision + ")";
         case "TIME", "TIMESTAMP" -> type + "(" + fraction + ")";
         case "TIME WITH TIME ZONE" -> "TIME(" + fraction + ") WITH TIME ZONE";
         case "TIMESTAMP WITH TIME ZONE" -> "TIMESTAMP(" + fraction + ") WITH TIME ZONE";
         default -> type; // INTEGER, BOOLEAN, CLOB, UUID, JSON, ...: no parameters that matter
      };
   }

   /** The column's type in DDL for {@code target}; {@code source} is the kind of database it was read from. */
   public static String ddlType(Col c, Dialect source, Dialect target)
   {
      if (source == target && c.nativeType() != null) {
         return c.nativeType();
      }
      final Integer p = c.precision();
      return switch (c.type()) {
         case BOOLEAN -> "BOOLEAN";
         case SMALLINT -> "SMALLINT";
         case INTEGER -> "INTEGER";
         case BIGINT -> "BIGINT";
         case DECIMAL -> switch (target) {
            case POSTGRESQL -> p == null ? "NUMERIC" : "NUMERIC(" + p + ", " + c.scale() + ")";
            case MARIADB -> p == null || p > 65 ? "DECIMAL(65, " + Math.min(30, c.scale() == null ? 30 : c.scale()) + ")" : "DECIMAL(" + p + ", " + Math.min(30, c.scale()) + ")";
            case H2 -> p == null ? "DECFLOAT" : "NUMERIC(" + p + ", " + c.scale() + ")"; // DECFLOAT: any scale, like an unbounded numeric
         };
         case REAL -> target == Dialect.MARIADB ? "FLOAT" : "REAL";
         case DOUBLE -> target == Dialect.MARIADB ? "DOUBLE" : "DOUBLE PRECISION";
         case CHAR -> target == Dialect.MARIADB && c.length() > 255 ? "VARCHAR(" + c.length() + ")" : "CHAR(" + c.length() + ")";
         case VARCHAR -> target == Dialect.MARIADB && c.length() > 16383 ? "LONGTEXT" : "VARCHAR(" + c.length() + ")";
         case TEXT -> switch (target) {
            case POSTGRESQL -> "TEXT";
            case MARIADB -> "LONGTEXT";
            case H2 -> "CHARACTER VARYING";
         };
         case CLOB -> switch (target) {
            case POSTGRESQL -> "TEXT";
            case MARIADB -> "LONGTEXT";
            case H2 -> "CHARACTER LARGE OBJECT";
         };
         case BINARY -> target == Dialect.POSTGRESQL ? "BYTEA" : target == Dialect.MARIADB && c.length() > 255 ? "VARBINARY(" + c.length() + ")" : "BINARY(" + c.length() + ")";
         case VARBINARY -> target == Dialect.POSTGRESQL ? "BYTEA" : target == Dialect.MARIADB && c.length() > 65532 ? "LONGBLOB" : "VARBINARY(" + c.length() + ")";
         case BLOB -> switch (target) {
            case POSTGRESQL -> "BYTEA";
            case MARIADB -> "LONGBLOB";
            case H2 -> "BINARY LARGE OBJECT";
         };
         case DATE -> "DATE";
         case TIME -> "TIME(" + fractionFor(target, p) + ")";
         case TIMESTAMP -> (target == Dialect.MARIADB ? "DATETIME(" : "TIMESTAMP(") + fractionFor(target, p) + ")";
         case TIMESTAMP_TZ -> switch (target) {
            case POSTGRESQL -> "TIMESTAMPTZ(" + fractionFor(target, p) + ")";
            case MARIADB -> "TIMESTAMP(" + fractionFor(target, p) + ")" + (c.nullable() ? " NULL" : "");
            case H2 -> "TIMESTAMP(" + fractionFor(target, p) + ") WITH TIME ZONE";
         };
         case UUID -> "UUID";
         case JSON -> "JSON";
         case OTHER -> switch (target) {
            case POSTGRESQL -> "TEXT";
            case MARIADB -> "LONGTEXT";
            case H2 -> "CHARACTER VARYING";
         };
      };
   }

   private static int fractionFor(Dialect target, Integer p)
   {
      final int digits = p == null ? 6 : p;
      return target == Dialect.H2 ? Math.min(digits, 9) : Math.min(digits, 6);
   }

   /** An identifier read from {@code source} as written for {@code target} (see the class comment). */
   public static String targetName(Dialect source, Dialect target, String id)
   {
      if (source == target) {
         return id;
      }
      final boolean upper = id.equals(id.toUpperCase(Locale.ROOT));
      final boolean lower = id.equals(id.toLowerCase(Locale.ROOT));
      if (source == Dialect.H2 && upper) {
         return id.toLowerCase(Locale.ROOT);
      }
      if (target == Dialect.H2 && lower) {
         return id.toUpperCase(Locale.ROOT);
      }
      return id;
   }

   /** CREATE TABLE with the columns and the primary key, for {@code target}; {@code qualifiedName} already quoted. */
   public String createTable(Dialect source, Dialect target, String qualifiedName)
   {
      final StringBuilder sb = new StringBuilder("CREATE TABLE ").append(qualifiedName).append(" (");
      for (int i = 0; i < columns.size(); i++) {
         final Col c = columns.get(i);
         sb.append(i > 0 ? ", " : "").append(target.quote(targetName(source, target, c.name()))).append(' ').append(ddlType(c, source, target));
         if (!c.nullable()) {
            sb.append(" NOT NULL");
         }
      }
      if (!key.isEmpty()) {
         sb.append(", PRIMARY KEY (");
         for (int i = 0; i < key.size(); i++) {
            sb.append(i > 0 ? ", " : "").append(target.quote(targetName(source, target, key.get(i))));
         }
         sb.append(')');
      }
      sb.append(')');
      if (target == Dialect.MARIADB) {
         sb.append(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
      }
      return sb.toString();
   }

   /**
    * CREATE INDEX statements for {@code target}. MariaDB names indexes per table, PostgreSQL and H2 per
    * schema, so an index from MariaDB gets its table's name as a prefix.
    */
   public List<String> createIndexes(Dialect source, Dialect target, String targetSchema, String targetTable)
   {
      final List<String> out = new ArrayList<>();
      for (Index i : indexes) {
         final String idx = targetName(source, target, source == Dialect.MARIADB && target != Dialect.MARIADB ? name + "_" + i.name() : i.name());
         final StringBuilder sb = new StringBuilder("CREATE ").append(i.unique() ? "UNIQUE " : "").append("INDEX ").append(target.quote(idx))
            .append(" ON ").append(target.qualified(targetSchema, targetTable)).append(" (");
         for (int k = 0; k < i.columns().size(); k++) {
            sb.append(k > 0 ? ", " : "").append(target.quote(targetName(source, target, i.columns().get(k))));
         }
         out.add(sb.append(')').toString());
      }
      return out;
   }
}

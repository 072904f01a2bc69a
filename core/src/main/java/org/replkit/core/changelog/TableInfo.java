package org.replkit.core.changelog;

import org.replkit.core.json.Json;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A captured table as the change log describes it: its columns with their kinds and its key.
 *
 * <p>The key is the primary key, or a unique key the operator configured for a table without one.
 * Row images carry every column; the key picks the row at the replicate.
 */
public record TableInfo(String schema, String name, LinkedHashMap<String, Column> columns, List<String> key)
{
   public record Column(String name, ColumnKind kind, String typeName)
   {
   }

   public Column column(String name)
   {
      return columns.get(name);
   }

   /**
    * Reads a table's columns and primary key from the database catalog. {@code configuredKey} replaces
    * the primary key when not empty. Returns null when the table does not exist.
    */
   public static TableInfo fromCatalog(Connection c, String schema, String table, List<String> configuredKey)
      throws SQLException
   {
      final DatabaseMetaData md = c.getMetaData();
      final boolean catalogIsSchema = Dialect.of(c) == Dialect.MARIADB;
      final String cat = catalogIsSchema ? schema : null;
      final String sch = catalogIsSchema ? null : schema;
      final var columns = new LinkedHashMap<String, Column>();
      try (ResultSet rs = md.getColumns(cat, sch, table, null)) {
         final var ordered = new TreeMap<Integer, Column>();
         while (rs.next()) {
            final String col = rs.getString("COLUMN_NAME");
            final String typeName = rs.getString("TYPE_NAME");
            ordered.put(rs.getInt("ORDINAL_POSITION"), new Column(col, ColumnKind.of(rs.getInt("DATA_TYPE"), typeName), typeName));
         }
         ordered.values().forEach(col -> columns.put(col.name(), col));
      }
      if (columns.isEmpty()) {
         return null;
      }
      List<String> key = new ArrayList<>();
      if (configuredKey != null && !configuredKey.isEmpty()) {
         for (String k : configuredKey) {
            final String match = columns.keySet().stream().filter(n -> n.equalsIgnoreCase(k)).findFirst()
               .orElseThrow(() -> new SQLException("configured key column " + k + " is not a column of " + schema + "." + table, "42703"));
            key.add(match);
         }
      }
      else {
         final var pk = new TreeMap<Integer, String>();
         try (ResultSet rs = md.getPrimaryKeys(cat, sch, table)) {
            while (rs.next()) {
               pk.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
            }
         }
         key.addAll(pk.values());
      }
      return new TableInfo(schema, table, columns, List.copyOf(key));
   }

   /** The form kept in the change log's table registry: {"col": "KIND:type", ...}. */
   public String columnsJson()
   {
      final var m = new LinkedHashMap<String, Object>();
      columns.values().forEach(col -> m.put(col.name(), col.kind().name() + ':' + col.typeName()));
      return Json.writeObject(m);
   }

   public static TableInfo fromRegistry(String schema, String name, String columnsJson, String keyColumns)
   {
      final var cols = new LinkedHashMap<String, Column>();
      for (Map.Entry<String, Object> e : Json.parseObject(columnsJson).entrySet()) {
         final String spec = (String) e.getValue();
         final int colon = spec.indexOf(':');
         cols.put(e.getKey(), new Column(e.getKey(), ColumnKind.valueOf(spec.substring(0, colon)), spec.substring(colon + 1)));
      }
      final List<String> key = keyColumns.isEmpty() ? List.of() : List.of(keyColumns.split(","));
      return new TableInfo(schema, name, cols, key);
   }

   public String keyColumnsText()
   {
      return String.join(",", key);
   }
}

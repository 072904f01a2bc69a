package org.replkit.jdbc.capture;

import org.replkit.core.changelog.Dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

/**
 * A quiesced replication group (DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY): every table of the group gets a
 * trigger that refuses writes with ORA-23326's meaning, until RESUME_MASTER_ACTIVITY drops it. Sessions
 * applying replicated changes pass, so what was queued before the quiesce still drains. Installed only
 * while quiesced: a group in NORMAL state costs the write path nothing.
 */
public final class Quiesce
{
   static final String PREFIX = "rk_quiesce_";

   private Quiesce()
   {
   }

   /** The message every refused write gets. */
   public static String message(String group, String table)
   {
      return "ORA-23326: object group " + group + " is quiesced: table " + table + " refuses writes until DBMS_REPCAT.RESUME_MASTER_ACTIVITY"
             + " (or the end of the instantiation)";
   }

   /** Installs the refusal on {@code tables} (each {schema, name}); idempotent. */
   public static void install(Connection c, String group, List<String[]> tables) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      try (Statement st = c.createStatement()) {
         for (String[] t : tables) {
            final String qualified = d.quote(t[0]) + "." + d.quote(t[1]);
            final String msg = message(group, t[0] + "." + t[1]).replace("'", "''");
            switch (d) {
               case POSTGRESQL -> {
                  final String fn = d.quote(t[0]) + "." + d.quote(PREFIX + "refuse");
                  st.execute("CREATE OR REPLACE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS $rk$ BEGIN"
                             + " IF coalesce(current_setting('replkit.apply', true), '') = 'on' THEN RETURN NULL; END IF;"
                             + " RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = TG_ARGV[0]; END $rk$");
                  st.execute("DROP TRIGGER IF EXISTS " + d.quote(trigger(t[1], "")) + " ON " + qualified);
                  st.execute("CREATE TRIGGER " + d.quote(trigger(t[1], "")) + " BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + qualified
                             + " FOR EACH STATEMENT EXECUTE FUNCTION " + fn + "('" + msg + "')");
               }
               case MARIADB -> {
                  for (String op : List.of("INSERT", "UPDATE", "DELETE")) {
                     final String name = d.quote(t[0]) + "." + d.quote(trigger(t[1], op));
                     st.execute("DROP TRIGGER IF EXISTS " + name);
                     st.execute("CREATE TRIGGER " + name + " BEFORE " + op + " ON " + qualified + " FOR EACH ROW BEGIN"
                                + " IF COALESCE(@replkit_apply, 0) <> 1 THEN SIGNAL SQLSTATE '55000' SET MESSAGE_TEXT = '" + msg + "'; END IF; END");
                  }
               }
               case H2 -> {
                  final String name = d.quote(t[0]) + "." + d.quote(trigger(t[1], "") + "__" + group);
                  st.execute("DROP TRIGGER IF EXISTS " + name);
                  st.execute("CREATE TRIGGER " + name + " BEFORE INSERT, UPDATE, DELETE ON " + qualified + " FOR EACH STATEMENT CALL '"
                             + H2QuiesceTrigger.class.getName() + "'");
               }
            }
         }
      }
   }

   /** Drops the refusal from {@code tables}; idempotent. */
   public static void release(Connection c, String group, List<String[]> tables) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      try (Statement st = c.createStatement()) {
         for (String[] t : tables) {
            final String qualified = d.quote(t[0]) + "." + d.quote(t[1]);
            switch (d) {
               case POSTGRESQL -> st.execute("DROP TRIGGER IF EXISTS " + d.quote(trigger(t[1], "")) + " ON " + qualified);
               case MARIADB -> {
                  for (String op : List.of("INSERT", "UPDATE", "DELETE")) {
                     st.execute("DROP TRIGGER IF EXISTS " + d.quote(t[0]) + "." + d.quote(trigger(t[1], op)));
                  }
               }
               case H2 -> st.execute("DROP TRIGGER IF EXISTS " + d.quote(t[0]) + "." + d.quote(trigger(t[1], "") + "__" + group));
            }
         }
      }
   }

   /**
    * Drops every quiesce trigger in the connection's database: a native dump taken while its group was
    * quiesced (seed 004 step 4) carries them to the new site, which must accept writes once instantiated.
    * Returns how many were dropped.
    */
   public static int releaseAll(Connection c) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      final List<String> drops = new java.util.ArrayList<>();
      final String find = switch (d) {
         case POSTGRESQL -> "SELECT t.tgname, n.nspname, r.relname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid"
                            + " JOIN pg_namespace n ON n.oid = r.relnamespace WHERE t.tgname LIKE 'rk\\_quiesce\\_%'";
         case MARIADB -> "SELECT TRIGGER_NAME, TRIGGER_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
                         + " WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'rk\\_quiesce\\_%'";
         case H2 -> "SELECT TRIGGER_NAME, TRIGGER_SCHEMA, EVENT_OBJECT_TABLE FROM INFORMATION_SCHEMA.TRIGGERS WHERE TRIGGER_NAME LIKE 'rk\\_quiesce\\_%'";
      };
      try (Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(find)) {
         while (rs.next()) {
            drops.add(d == Dialect.POSTGRESQL ? "DROP TRIGGER IF EXISTS " + d.quote(rs.getString(1)) + " ON " + d.quote(rs.getString(2)) + "." + d.quote(rs.getString(3))
                                              : "DROP TRIGGER IF EXISTS " + d.quote(rs.getString(2)) + "." + d.quote(rs.getString(1)));
         }
      }
      try (Statement st = c.createStatement()) {
         for (String sql : drops) {
            st.execute(sql);
         }
      }
      return drops.size();
   }

   private static String trigger(String table, String op)
   {
      final String name = PREFIX + table + (op.isEmpty() ? "" : "_" + op.toLowerCase(Locale.ROOT).charAt(0));
      return name.length() > 60 ? name.substring(0, 60) : name;
   }
}

package org.replkit.liquibase;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The SQL texts the change types send through the ReplKit driver: the contract with marker-procs, which
 * recognizes these procedure calls and admin commands and runs them locally or through the replication
 * server. Every name is checked here before it is put into a text: admin commands carry names as bare
 * tokens (the server's parser splits on whitespace), so a name must not be able to end the token or the
 * statement; literals are quoted with doubled quotes besides.
 */
public final class ReplKitSql
{
   /** Resync marker modes of seed 002: {@code resync}, {@code resync purge}, {@code resync init}. */
   public enum ResyncMode
   {
      NONE("resync"),
      PURGE("resync purge"),
      INIT("resync init");

      public final String text;

      ResyncMode(String text)
      {
         this.text = text;
      }

      public static ResyncMode of(String value)
      {
         for (ResyncMode m : values()) {
            if (m.name().equalsIgnoreCase(value)) {
               return m;
            }
         }
         throw new IllegalArgumentException("mode '" + value + "' is not one of none, purge, init");
      }
   }

   /** DBMS_OFFLINE_OG procedures of seed 004; each takes (gname, new_site). */
   public enum OfflineOg
   {
      BEGIN_INSTANTIATION,
      RESUME_SUBSET_OF_MASTERS,
      BEGIN_LOAD,
      END_LOAD,
      END_INSTANTIATION
   }

   // A site is a ReplKit site or an Oracle-style global name (D7NY.BIGWHEEL.COM); a connection is dataserver.database.
   // No '-', '#' or '$': in a bare token they could start a comment (--, MariaDB #) or a PostgreSQL $$ quote.
   private static final String PART = "[A-Za-z_][A-Za-z0-9_]*";
   private static final Pattern SITE = Pattern.compile(PART + "(\\.[A-Za-z0-9_]+)*");
   private static final Pattern CONNECTION = Pattern.compile(PART + "\\." + PART);
   private static final Pattern GROUP = Pattern.compile(PART);
   private static final int MAX_NAME = 128;

   private ReplKitSql()
   {
   }

   // ---------------------------------------------------------------- names

   /** Null when {@code value} is a valid site name, else why not (naming the attribute). */
   public static String siteProblem(String attribute, String value)
   {
      return problem(attribute, value, SITE, "a site name: letters, digits, _ and dots, starting with a letter or _ (e.g. pdb or D7NY.BIGWHEEL.COM)");
   }

   public static String connectionProblem(String attribute, String value)
   {
      return problem(attribute, value, CONNECTION, "a connection name dataserver.database: two names of letters, digits and _ joined by one dot (e.g. ds.db)");
   }

   public static String groupProblem(String attribute, String value)
   {
      return problem(attribute, value, GROUP, "a replication group name: letters, digits and _, starting with a letter or _ (e.g. SPROCKET)");
   }

   private static String problem(String attribute, String value, Pattern p, String what)
   {
      if (value == null || value.isEmpty()) {
         return attribute + " is required";
      }
      if (value.length() > MAX_NAME) {
         return attribute + " is " + value.length() + " characters long; at most " + MAX_NAME;
      }
      if (!p.matcher(value).matches()) {
         return attribute + " '" + printable(value) + "' is not " + what;
      }
      return null;
   }

   private static String site(String value)
   {
      return check(siteProblem("site", value), value);
   }

   private static String check(String problem, String value)
   {
      if (problem != null) {
         throw new IllegalArgumentException(problem);
      }
      return value;
   }

   /** Control characters shown escaped, so an error message cannot be forged by a value. */
   static String printable(String s)
   {
      final var sb = new StringBuilder();
      for (char c : s.toCharArray()) {
         sb.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
      }
      return sb.toString();
   }

   /** An SQL string literal: single quotes doubled. */
   public static String literal(String s)
   {
      return "'" + s.replace("'", "''") + "'";
   }

   // ---------------------------------------------------------------- texts (seed 000 / 002: markers)

   /**
    * {@code CALL lr_dump_marker(42)}, {@code CALL lr_dump_marker()}, with a site
    * {@code CALL lr_dump_marker(position => 42, site => 'pdb')}.
    */
   public static String dumpMarker(Long position, String site)
   {
      if (position != null && position < 0) {
         throw new IllegalArgumentException("position " + position + " is negative; give a commit sequence (0 or more) or none for the end of the log");
      }
      if (site == null) {
         return "CALL lr_dump_marker(" + (position == null ? "" : position.toString()) + ")";
      }
      return "CALL lr_dump_marker(" + (position == null ? "" : "position => " + position + ", ") + "site => " + literal(site(site)) + ")";
   }

   /** {@code EXEC sp_start_rep_agent 'pdb', 'resync'} ({@code 'resync purge'}, {@code 'resync init'}). */
   public static String resyncMarker(String site, ResyncMode mode)
   {
      return "EXEC sp_start_rep_agent " + literal(site(site)) + ", " + literal(mode.text);
   }

   public static String suspendLogTransfer(String site)
   {
      return "suspend log transfer from " + site(site);
   }

   public static String resumeLogTransfer(String site)
   {
      return "resume log transfer from " + site(site);
   }

   public static String raInitForce(String site)
   {
      return "ra_init force " + site(site);
   }

   public static String suspendConnection(String connection)
   {
      return "suspend connection to " + check(connectionProblem("connection", connection), connection);
   }

   /** {@code resume connection to ds.db}, optionally {@code skip to resync marker} or {@code skip transaction}. */
   public static String resumeConnection(String connection, boolean skipToResyncMarker, boolean skipTransaction)
   {
      if (skipToResyncMarker && skipTransaction) {
         throw new IllegalArgumentException("skipToResyncMarker and skipTransaction cannot both be true");
      }
      return "resume connection to " + check(connectionProblem("connection", connection), connection)
             + (skipToResyncMarker ? " skip to resync marker" : skipTransaction ? " skip transaction" : "");
   }

   // ---------------------------------------------------------------- seed 004: offline instantiation

   /** {@code BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY'); END;} */
   public static String offlineOg(OfflineOg procedure, String gname, String newSite)
   {
      return "BEGIN DBMS_OFFLINE_OG." + procedure.name() + "(gname => " + literal(check(groupProblem("gname", gname), gname))
             + ", new_site => " + literal(check(siteProblem("newSite", newSite), newSite)) + "); END;";
   }

   /** Step 1 of seed 004: {@code BEGIN DBMS_REPCAT.ADD_MASTER_DATABASE(gname => 'SPROCKET', master => 'D7NY'); END;} */
   public static String addMasterDatabase(String gname, String master)
   {
      return "BEGIN DBMS_REPCAT.ADD_MASTER_DATABASE(gname => " + literal(check(groupProblem("gname", gname), gname))
             + ", master => " + literal(check(siteProblem("newSite", master), master)) + "); END;";
   }

   /** Step 2 of seed 004: {@code BEGIN DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET'); END;} */
   public static String suspendMasterActivity(String gname)
   {
      return "BEGIN DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => " + literal(check(groupProblem("gname", gname), gname)) + "); END;";
   }

   // ---------------------------------------------------------------- seed 003: HotStandby

   public static final String HOTSTANDBY_CONNECT = admin("hotstandby connect");
   public static final String HOTSTANDBY_COPY = admin("hotstandby copy");
   public static final String HOTSTANDBY_NETCOPY = admin("hotstandby netcopy");
   public static final String HOTSTANDBY_STATE = admin("hotstandby state");

   /** {@code ADMIN COMMAND 'hotstandby connect'}; the command is one of ours, never user text. */
   private static String admin(String command)
   {
      return "ADMIN COMMAND " + literal(command.toLowerCase(Locale.ROOT));
   }
}

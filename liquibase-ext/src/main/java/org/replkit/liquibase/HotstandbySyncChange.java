package org.replkit.liquibase;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;

import org.replkit.core.verify.Verify;

/**
 * Seed 003: HotStandby synchronization. Catchup is what {@code hotstandby connect} does by itself; a full copy
 * ({@code mode="copy"} or {@code "netcopy"}) overwrites the secondary first. Then the pair must reach PRIMARY ACTIVE
 * and the two databases must be identical: "a catchup that leaves the two databases different is an error", and
 * the way out is a full copy.
 * <pre>
 *   [copy]  primary  ADMIN COMMAND 'hotstandby copy' | 'hotstandby netcopy'
 *   connect primary  ADMIN COMMAND 'hotstandby connect'        (catchup runs by itself; skipped when already PRIMARY ACTIVE)
 *   active  primary  ADMIN COMMAND 'hotstandby state' until its first line is PRIMARY ACTIVE
 *   verify  both     Verify primary against secondary          (in-process; again until identical or the timeout)
 * </pre>
 */
@DatabaseChange(name = "hotstandbySync", description = "Synchronize the HotStandby secondary by catchup or full copy, then verify (seed 003)", priority = ChangeMetaData.PRIORITY_DEFAULT)
public final class HotstandbySyncChange extends CompositeChange
{
   enum Mode
   {
      CATCHUP,
      COPY,
      NETCOPY
   }

   static final String PRIMARY_ACTIVE = "PRIMARY ACTIVE";

   private String primaryUrl;
   private String secondaryUrl;
   private String mode;
   private String tables;
   private String timeoutSeconds;

   @DatabaseChangeProperty(description = "jdbc:replkit: URL of the primary of the pair", exampleValue = "jdbc:replkit:postgresql://hsb1/db", requiredForDatabase = "all")
   public String getPrimaryUrl()
   {
      return primaryUrl;
   }

   public void setPrimaryUrl(String v)
   {
      primaryUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "JDBC URL of the secondary, to verify it against the primary", exampleValue = "jdbc:postgresql://hsb2/db", requiredForDatabase = "all")
   public String getSecondaryUrl()
   {
      return secondaryUrl;
   }

   public void setSecondaryUrl(String v)
   {
      secondaryUrl = trim(v);
   }

   @DatabaseChangeProperty(description = "catchup, copy or netcopy; default catchup", exampleValue = "copy")
   public String getMode()
   {
      return mode;
   }

   public void setMode(String v)
   {
      mode = lower(orAbsent(v, "catchup"));
   }

   @DatabaseChangeProperty(description = "Tables to verify, comma-separated; default the tables the primary's change log captures (those the pair copies)", exampleValue = "accounts")
   public String getTables()
   {
      return tables;
   }

   public void setTables(String v)
   {
      tables = trim(v);
   }

   @DatabaseChangeProperty(description = "How long to wait for PRIMARY ACTIVE; default 600", exampleValue = "120")
   public String getTimeoutSeconds()
   {
      return timeoutSeconds;
   }

   public void setTimeoutSeconds(String v)
   {
      timeoutSeconds = orAbsent(v, "600");
   }

   private Mode mode()
   {
      return mode == null ? Mode.CATCHUP : Mode.valueOf(mode.toUpperCase(Locale.ROOT));
   }

   @Override
   protected void check(List<String> problems)
   {
      super.check(problems);
      add(problems, Jdbc.urlProblem("primaryUrl", primaryUrl, true));
      add(problems, Jdbc.urlProblem("secondaryUrl", secondaryUrl, false));
      if (mode != null && !List.of("copy", "netcopy").contains(mode)) {
         problems.add("mode '" + ReplKitSql.printable(mode) + "' is not one of catchup, copy, netcopy");
      }
      add(problems, Jdbc.tablesProblem("tables", tables));
      number(problems, "timeoutSeconds", timeoutSeconds, 1, 86_400);
   }

   /** The pair's state: the first line of the answer to 'hotstandby state' (the lines after it say what it rests on). */
   private String state(String primary) throws SQLException
   {
      return answer(primaryUrl, primary, ReplKitSql.HOTSTANDBY_STATE).lines().findFirst().orElse("").strip();
   }

   @Override
   String header()
   {
      return "hotstandbySync by " + mode().name().toLowerCase(Locale.ROOT) + " (seed 003)";
   }

   @Override
   String identity()
   {
      return mode().name();
   }

   @Override
   Procedure procedure(Consumer<String> out)
   {
      final String primary = "the primary " + Jdbc.redact(primaryUrl);
      final String both = primary + " and the secondary " + Jdbc.redact(secondaryUrl);
      final long timeout = timeoutSeconds == null ? 600 : Long.parseLong(timeoutSeconds);
      final List<String> list = Jdbc.tables(tables);
      final Procedure p = new Procedure(name(), procedureIdentity(), out);
      if (mode() != Mode.CATCHUP) {
         final String copy = mode() == Mode.NETCOPY ? ReplKitSql.HOTSTANDBY_NETCOPY : ReplKitSql.HOTSTANDBY_COPY;
         p.step("full copy", primary, copy, sql(primaryUrl, primary, copy));
      }
      p.step("connect", primary, ReplKitSql.HOTSTANDBY_CONNECT, x -> {
         // a rerun after the process died in this step finds the pair connected: connect would be refused there
         if (state(primary).equalsIgnoreCase(PRIMARY_ACTIVE)) {
            return "already " + PRIMARY_ACTIVE;
         }
         sql(primaryUrl, primary, ReplKitSql.HOTSTANDBY_CONNECT).run(x);
         return null;
      });
      p.step("primary active", primary, "-- repeat " + ReplKitSql.HOTSTANDBY_STATE + " until it answers " + PRIMARY_ACTIVE + " (at most " + timeout + " s)", x -> {
         await(timeout, "the pair to reach " + PRIMARY_ACTIVE, () -> {
            final String state = state(primary);
            return state.equalsIgnoreCase(PRIMARY_ACTIVE) ? null : state;
         });
         return PRIMARY_ACTIVE;
      });
      p.step("verify", both, "-- verify " + (list.isEmpty() ? "the captured tables" : "tables " + String.join(", ", list)) + " of the secondary against the primary"
                             + " (in-process; compared again until identical, at most " + timeout + " s)", x -> {
         // the two are read one after the other while the pair ships: a difference may be a commit in flight, so it is
         // looked at again; the server's connect already compared them at one snapshot position
         final Verify.Result[] last = new Verify.Result[1];
         try {
            await(timeout, "the secondary to equal the primary", () -> {
               try (Connection s = Jdbc.open(Jdbc.real(primaryUrl), primary); Connection t = Jdbc.open(Jdbc.real(secondaryUrl), "the secondary")) {
                  last[0] = new Verify(s, t, VerifyReplicasChange.CHUNK).run(list.isEmpty() ? Copies.capturedTables(primaryUrl, s) : list);
               }
               return last[0].identical() ? null : last[0].differingKeys().size() + " differing keys";
            });
         }
         catch (SQLException e) {
            if (!CompositeChange.TIMED_OUT.equals(e.getSQLState()) || last[0] == null) {
               throw e;
            }
            last[0].report().forEach(CompositeChange::show);
            throw new IllegalStateException("the secondary differs from the primary after " + mode().name().toLowerCase(Locale.ROOT)
                                            + (mode() == Mode.CATCHUP ? " (run a full copy: mode=\"copy\")" : "") + ": "
                                            + String.join("; ", last[0].differingKeys()));
         }
         last[0].report().forEach(CompositeChange::show);
         return "identical";
      });
      return p;
   }
}

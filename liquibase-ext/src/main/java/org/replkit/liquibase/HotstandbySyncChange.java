package org.replkit.liquibase;

import java.sql.Connection;
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
 *   connect primary  ADMIN COMMAND 'hotstandby connect'        (catchup runs by itself)
 *   active  primary  ADMIN COMMAND 'hotstandby state' until its first line is PRIMARY ACTIVE
 *   verify  both     Verify primary against secondary          (in-process)
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

   @DatabaseChangeProperty(description = "Tables to verify, comma-separated; default every table of the primary's schema", exampleValue = "accounts")
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
      p.step("connect", primary, ReplKitSql.HOTSTANDBY_CONNECT, sql(primaryUrl, primary, ReplKitSql.HOTSTANDBY_CONNECT));
      p.step("primary active", primary, "-- repeat " + ReplKitSql.HOTSTANDBY_STATE + " until it answers " + PRIMARY_ACTIVE + " (at most " + timeout + " s)", x -> {
         await(timeout, "the pair to reach " + PRIMARY_ACTIVE, () -> {
            // the state is the answer's first line; the lines after it say what it rests on
            final String state = answer(primaryUrl, primary, ReplKitSql.HOTSTANDBY_STATE).lines().findFirst().orElse("").strip();
            return state.equalsIgnoreCase(PRIMARY_ACTIVE) ? null : state;
         });
         return PRIMARY_ACTIVE;
      });
      p.step("verify", both, "-- verify " + (list.isEmpty() ? "every table" : "tables " + String.join(", ", list)) + " of the secondary against the primary (in-process)", x -> {
         try (Connection s = Jdbc.open(Jdbc.real(primaryUrl), primary); Connection t = Jdbc.open(Jdbc.real(secondaryUrl), "the secondary")) {
            final Verify.Result r = new Verify(s, t, VerifyReplicasChange.CHUNK).run(list);
            r.report().forEach(CompositeChange::show);
            if (!r.identical()) {
               throw new IllegalStateException("the secondary differs from the primary after " + mode().name().toLowerCase(Locale.ROOT)
                                               + (mode() == Mode.CATCHUP ? " (run a full copy: mode=\"copy\")" : "") + ": " + String.join("; ", r.differingKeys()));
            }
            return "identical";
         }
      });
      return p;
   }
}

package org.replkit.liquibase;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import liquibase.change.Change;
import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;
import liquibase.database.Database;
import liquibase.statement.SqlStatement;

import org.replkit.volume.FlashSnap;
import org.replkit.volume.SnapPlan;

/**
 * Database FlashSnap (seed 001) on volume-sim, in this process: one {@code vmchecksnap}/{@code vmsnap}/
 * {@code vmclonedb} option per change, with the commands' own output lines. Rollback exists where the seed has
 * an inverse: mount/umount, and reverse_resync_begin is undone by reverse_resync_abort; validate needs none.
 */
@DatabaseChange(name = "snapshot", description = "volume-sim FlashSnap: vmchecksnap / vmsnap / vmclonedb -o OPTION (seed 001)", priority = ChangeMetaData.PRIORITY_DEFAULT)
public final class SnapshotChange extends ReplKitChange
{
   enum Option
   {
      VALIDATE("vmchecksnap"),
      SNAPSHOT("vmsnap"),
      RESYNC("vmsnap"),
      REVERSE_RESYNC_BEGIN("vmsnap"),
      REVERSE_RESYNC_ABORT("vmsnap"),
      REVERSE_RESYNC_COMMIT("vmsnap"),
      MOUNT("vmclonedb"),
      UMOUNT("vmclonedb");

      final String command;

      Option(String command)
      {
         this.command = command;
      }

      String text()
      {
         return name().toLowerCase(Locale.ROOT);
      }
   }

   private String snapplan;
   private String sid;
   private String option;

   @DatabaseChangeProperty(description = "Path of the snapplan (relative: to the working directory)", exampleValue = "/var/replkit/snapplan", requiredForDatabase = "all")
   public String getSnapplan()
   {
      return snapplan;
   }

   public void setSnapplan(String v)
   {
      snapplan = trim(v);
   }

   @DatabaseChangeProperty(description = "Database name (-S); default the snapplan's PRIMARY_DB", exampleValue = "PROD")
   public String getSid()
   {
      return sid;
   }

   public void setSid(String v)
   {
      sid = trim(v);
   }

   @DatabaseChangeProperty(description = "validate, snapshot, resync, reverse_resync_begin, reverse_resync_abort, reverse_resync_commit, mount or umount; default snapshot", exampleValue = "resync")
   public String getOption()
   {
      return option;
   }

   public void setOption(String v)
   {
      option = lower(orAbsent(v, "snapshot"));
   }

   private Option option()
   {
      return option == null ? Option.SNAPSHOT : Option.valueOf(option.toUpperCase(Locale.ROOT));
   }

   @Override
   protected void check(List<String> problems)
   {
      required(problems, "snapplan", snapplan, "/var/replkit/snapplan");
      if (sid != null) {
         add(problems, ReplKitSql.siteProblem("sid", sid));
      }
      if (option != null && Arrays.stream(Option.values()).noneMatch(o -> o.text().equals(option))) {
         problems.add("option '" + ReplKitSql.printable(option) + "' is not one of "
                      + String.join(", ", Arrays.stream(Option.values()).map(Option::text).toList()));
      }
   }

   private String preview()
   {
      return "-- snapshot: " + option().command + (sid == null ? "" : " -S " + sid) + " -f " + snapplan + " -o " + option().text()
             + " (volume-sim, in-process)";
   }

   @Override
   protected SqlStatement[] statements(Database database)
   {
      if (dryRun(database)) {
         return new SqlStatement[]{new ReplKitStatements.Text(preview())};
      }
      return new SqlStatement[]{new ReplKitStatements.Task(preview(), database, liquibase -> run())};
   }

   private void run()
   {
      final Path plan = Path.of(snapplan);
      final String db = sid != null ? sid : SnapPlan.read(plan).database();
      final FlashSnap fs = new FlashSnap(CompositeChange::say);
      switch (option()) {
         case VALIDATE -> fs.validate(db, plan);
         case SNAPSHOT -> fs.snapshot(db, plan);
         case RESYNC -> fs.resync(db, plan);
         case REVERSE_RESYNC_BEGIN -> fs.reverseResyncBegin(db, plan);
         case REVERSE_RESYNC_ABORT -> fs.reverseResyncAbort(db, plan);
         case REVERSE_RESYNC_COMMIT -> fs.reverseResyncCommit(db, plan);
         case MOUNT -> fs.mountClone(db, plan);
         case UMOUNT -> fs.umountClone(db, plan);
      }
   }

   @Override
   protected Change[] createInverses()
   {
      final Option inverse = switch (option()) {
         case MOUNT -> Option.UMOUNT;
         case UMOUNT -> Option.MOUNT;
         case REVERSE_RESYNC_BEGIN -> Option.REVERSE_RESYNC_ABORT;
         default -> null;
      };
      if (option() == Option.VALIDATE) {
         return new Change[0]; // validation only records that the snapplan was checked
      }
      if (inverse == null) {
         return null;
      }
      final SnapshotChange c = new SnapshotChange();
      c.setSnapplan(snapplan);
      c.setSid(sid);
      c.setOption(inverse.text());
      return new Change[]{c};
   }

   @Override
   protected String noRollback()
   {
      return switch (option()) {
         case VALIDATE, MOUNT, UMOUNT, REVERSE_RESYNC_BEGIN -> null;
         case REVERSE_RESYNC_COMMIT -> "reverse_resync_commit is permanent: the snapshot volumes are consumed.";
         default -> "vmsnap -o " + option().text() + " replaces the snapshot volumes' contents; the previous image is gone.";
      };
   }

   @Override
   public String getConfirmationMessage()
   {
      return "snapshot: " + option().command + " -o " + option().text() + " done";
   }
}

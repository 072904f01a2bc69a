package org.replkit.volume;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Function;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The FlashSnap commands for picocli: {@code vmchecksnap}, {@code vmsnap} and {@code vmclonedb} under one parent,
 * so the {@code replkit} CLI can mount {@link VolumeCommands} (or each command class) as subcommands. {@link #main}
 * runs them standalone. Exit status: 0 done, 1 refused or failed (the message says why), 2 bad usage.
 */
@Command(name = "volume", mixinStandardHelpOptions = true,
      description = "Snapshots of databases on simulated volumes (Database FlashSnap style).",
      subcommands = {VolumeCommands.VmCheckSnap.class, VolumeCommands.VmSnap.class, VolumeCommands.VmCloneDb.class,
            CommandLine.HelpCommand.class})
public final class VolumeCommands implements Runnable {
   @Spec
   CommandSpec spec;

   public static void main(String[] args) {
      System.exit(new CommandLine(new VolumeCommands()).execute(args));
   }

   @Override
   public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
   }

   /** Options shared by the three commands. */
   abstract static class Base implements Callable<Integer> {
      @Spec
      CommandSpec spec;

      @Option(names = "-S", required = true, paramLabel = "<db>", description = "Database name (PRIMARY_DB).")
      String sid;

      @Option(names = "-f", required = true, paramLabel = "<snapplan>", description = "Snapplan file.")
      Path plan;

      Integer run(String command, Function<FlashSnap, ?> op) {
         PrintWriter out = spec.commandLine().getOut();
         try {
            op.apply(new FlashSnap(line -> {
               out.println(line);
               out.flush();
            }));
            return 0;
         } catch (RuntimeException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(command + " ERROR: " + e.getMessage());
            err.flush();
            return 1;
         }
      }
   }

   @Command(name = "vmchecksnap", mixinStandardHelpOptions = true,
         description = "Validates a snapplan and names each wrong field.")
   static final class VmCheckSnap extends Base {
      enum Opt { validate }

      @Option(names = "-o", required = true, paramLabel = "validate", description = "Option: ${COMPLETION-CANDIDATES}.")
      Opt option;

      @Override
      public Integer call() {
         return run("vmchecksnap", f -> f.validate(sid, plan));
      }
   }

   @Command(name = "vmsnap", mixinStandardHelpOptions = true,
         description = "Takes, refreshes or reverse-resynchronizes the snapshot of a snapplan.")
   static final class VmSnap extends Base {
      enum Opt { snapshot, resync, reverse_resync_begin, reverse_resync_abort, reverse_resync_commit }

      @Option(names = "-o", required = true, paramLabel = "<option>", description = "Option: ${COMPLETION-CANDIDATES}.")
      Opt option;

      @Override
      public Integer call() {
         return run("vmsnap", f -> switch (option) {
            case snapshot -> f.snapshot(sid, plan);
            case resync -> f.resync(sid, plan);
            case reverse_resync_begin -> f.reverseResyncBegin(sid, plan);
            case reverse_resync_abort -> f.reverseResyncAbort(sid, plan);
            case reverse_resync_commit -> f.reverseResyncCommit(sid, plan);
         });
      }
   }

   @Command(name = "vmclonedb", mixinStandardHelpOptions = true,
         description = "Mounts the snapshot as a separate (clone) database, or unmounts it.")
   static final class VmCloneDb extends Base {
      enum Opt { mount, umount }

      @Option(names = "-o", required = true, paramLabel = "<option>", description = "Option: ${COMPLETION-CANDIDATES}.")
      Opt option;

      @Override
      public Integer call() {
         return run("vmclonedb", f -> option == Opt.mount ? f.mountClone(sid, plan) : f.umountClone(sid, plan));
      }
   }
}

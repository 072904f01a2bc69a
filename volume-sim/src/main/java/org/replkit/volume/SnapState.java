package org.replkit.volume;

/**
 * The lifecycle of one snapshot (one SNAPSHOT_NAME in one disk group). All transitions are here; {@link FlashSnap}
 * asks {@link #next} before it changes anything and records the answer in {@code <root>/<dg>/<name>.snapstate}.
 *
 * <pre>
 * from                        option                  to
 * NONE                        validate                VALIDATED
 * VALIDATED                   validate                VALIDATED
 * VALIDATED                   snapshot                SNAPSHOT_TAKEN
 * SNAPSHOT_TAKEN              validate, resync        SNAPSHOT_TAKEN   (resync: refresh the snapshot from the original)
 * SNAPSHOT_TAKEN              mount                   CLONE_MOUNTED
 * CLONE_MOUNTED               umount                  SNAPSHOT_TAKEN
 * SNAPSHOT_TAKEN              reverse_resync_begin    REVERSE_RESYNC_IN_PROGRESS (original holds the snapshot's data)
 * REVERSE_RESYNC_IN_PROGRESS  reverse_resync_abort    SNAPSHOT_TAKEN   (original back exactly as it was)
 * REVERSE_RESYNC_IN_PROGRESS  reverse_resync_commit   VALIDATED        (permanent; the snapshot volumes are consumed)
 * </pre>
 *
 * Anything else is refused with what is wrong and the command that fixes it: a snapplan is validated before a
 * snapshot, a snapshot exists before a resync, a mounted clone is unmounted before anything but umount, a reverse
 * resync is committed or aborted before anything else. Rules that are not about the state (CLUSTERED=yes, the
 * database or the clone still open, a snapplan edited since validation) are checked by FlashSnap, also before it
 * changes anything.
 */
public enum SnapState {
   NONE, VALIDATED, SNAPSHOT_TAKEN, CLONE_MOUNTED, REVERSE_RESYNC_IN_PROGRESS;

   /** An operation, named as on the command line. */
   public enum Op {
      VALIDATE("vmchecksnap", "validate"),
      SNAPSHOT("vmsnap", "snapshot"),
      RESYNC("vmsnap", "resync"),
      REVERSE_RESYNC_BEGIN("vmsnap", "reverse_resync_begin"),
      REVERSE_RESYNC_ABORT("vmsnap", "reverse_resync_abort"),
      REVERSE_RESYNC_COMMIT("vmsnap", "reverse_resync_commit"),
      MOUNT("vmclonedb", "mount"),
      UMOUNT("vmclonedb", "umount");

      public final String command;
      public final String option;

      Op(String command, String option) {
         this.command = command;
         this.option = option;
      }

      String invocation(String sid, Object plan) {
         return command + " -S " + sid + " -f " + plan + " -o " + option;
      }
   }

   /**
    * The state after op, or a {@link VolumeException} saying why op is not allowed now and what to run instead.
    * sid, plan and snapshot only make the message concrete.
    */
   public SnapState next(Op op, String sid, Object plan, String snapshot) {
      SnapState to = switch (this) {
         case NONE -> op == Op.VALIDATE ? VALIDATED : null;
         case VALIDATED -> switch (op) {
            case VALIDATE -> VALIDATED;
            case SNAPSHOT -> SNAPSHOT_TAKEN;
            default -> null;
         };
         case SNAPSHOT_TAKEN -> switch (op) {
            case VALIDATE, RESYNC -> SNAPSHOT_TAKEN;
            case MOUNT -> CLONE_MOUNTED;
            case REVERSE_RESYNC_BEGIN -> REVERSE_RESYNC_IN_PROGRESS;
            default -> null;
         };
         case CLONE_MOUNTED -> op == Op.UMOUNT ? SNAPSHOT_TAKEN : null;
         case REVERSE_RESYNC_IN_PROGRESS -> switch (op) {
            case REVERSE_RESYNC_ABORT -> SNAPSHOT_TAKEN;
            case REVERSE_RESYNC_COMMIT -> VALIDATED;
            default -> null;
         };
      };
      if (to == null) {
         throw new VolumeException(refusal(op, sid, plan, snapshot));
      }
      return to;
   }

   private String refusal(Op op, String sid, Object plan, String snapshot) {
      String cannot = "Cannot run -o " + op.option + " for snapshot " + snapshot + " of " + sid + ": ";
      return cannot + switch (this) {
         case NONE -> "the snapplan " + plan + " has not been validated. Validate it first: "
               + Op.VALIDATE.invocation(sid, plan);
         case VALIDATED -> op == Op.SNAPSHOT ? "unexpected" : "no snapshot has been taken. Take one first: "
               + Op.SNAPSHOT.invocation(sid, plan);
         case SNAPSHOT_TAKEN -> switch (op) {
            case SNAPSHOT -> "the snapshot already exists. Refresh it with " + Op.RESYNC.invocation(sid, plan);
            case UMOUNT -> "no clone database is mounted; there is nothing to unmount.";
            default -> "no reverse resynchronization is in progress. Start one with "
                  + Op.REVERSE_RESYNC_BEGIN.invocation(sid, plan);
         };
         case CLONE_MOUNTED -> op == Op.MOUNT ? "the clone database is already mounted."
               : "the clone database is mounted. Shut it down and unmount it first: " + Op.UMOUNT.invocation(sid, plan);
         case REVERSE_RESYNC_IN_PROGRESS -> "a reverse resynchronization is in progress. Finish it first with "
               + Op.REVERSE_RESYNC_COMMIT.invocation(sid, plan) + " or " + Op.REVERSE_RESYNC_ABORT.invocation(sid, plan);
      };
   }
}

package org.replkit.server;

import org.replkit.core.control.ControlDb;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** {@code replkit status}: sites, connections, their states, queue depth and lag, from the control database. */
final class Status
{
   static final int STALE_SECONDS = 5;

   private Status()
   {
   }

   static String render(ControlDb control) throws SQLException
   {
      final StringBuilder sb = new StringBuilder();
      final List<String[]> sites = new ArrayList<>();
      sites.add(new String[] {"SITE", "REPAGENT", "POSITION", "TRUNCATED", "QUEUED", "UPDATED", "ERROR"});
      for (ControlDb.Site s : control.sites()) {
         sites.add(new String[] {s.name(), s.state(), String.valueOf(s.position()), String.valueOf(s.truncated()), String.valueOf(s.queued()),
                                 String.valueOf(s.updated()), s.error() == null ? "" : s.error()});
      }
      table(sb, sites);
      sb.append('\n');
      final List<String[]> conns = new ArrayList<>();
      conns.add(new String[] {"CONNECTION", "STATE", "FROM", "LAST OQID", "APPLIED", "REJECTED", "QUEUE CURSOR", "QUEUE DEPTH", "LAG MS", "UPDATED"});
      final List<String> problems = new ArrayList<>();
      for (ControlDb.Conn c : control.connections()) {
         conns.add(new String[] {c.name(), c.state(), c.origins(), c.lastOrigin() == null ? "-" : c.lastOrigin() + ":" + c.lastSeq(),
                                 String.valueOf(c.applied()), String.valueOf(c.rejected()), String.valueOf(c.cursor()), String.valueOf(c.depth()), String.valueOf(c.lagMs()), String.valueOf(c.updated())});
         if (c.failing() != null || c.error() != null) {
            problems.add(c.name() + (c.failing() != null ? " failing transaction " + c.failing() : "") + ": " + c.error());
         }
         if (c.reloaded() != null) {
            problems.add(c.name() + ": suspended at a marker; once the replicate is reloaded, 'resume connection to " + c.name()
                         + "' records it at " + c.reloaded() + " and applies what followed");
         }
      }
      table(sb, conns);
      for (String p : problems) {
         sb.append('\n').append(p);
      }
      // a running server refreshes these rows several times a second; old ones mean it is not running (or was killed)
      java.time.Instant newest = null;
      for (ControlDb.Conn c : control.connections()) {
         newest = c.updated() != null && (newest == null || c.updated().isAfter(newest)) ? c.updated() : newest;
      }
      for (ControlDb.Site s : control.sites()) {
         newest = s.updated() != null && (newest == null || s.updated().isAfter(newest)) ? s.updated() : newest;
      }
      if (newest != null && newest.isBefore(java.time.Instant.now().minusSeconds(STALE_SECONDS))) {
         sb.append('\n').append("No update from the server since ").append(newest)
           .append(": it is not running, so the states above are the last it recorded.");
      }
      final int exceptions = control.exceptions(null).size();
      if (exceptions > 0) {
         sb.append('\n').append(exceptions).append(" transaction(s) in the exceptions log: replkit admin \"list exceptions\"");
      }
      return sb.toString();
   }

   static void table(StringBuilder sb, List<String[]> rows)
   {
      final int[] w = new int[rows.get(0).length];
      for (String[] r : rows) {
         for (int i = 0; i < r.length; i++) {
            w[i] = Math.max(w[i], r[i].length());
         }
      }
      for (String[] r : rows) {
         final StringBuilder line = new StringBuilder();
         for (int i = 0; i < r.length; i++) {
            line.append(String.format("%-" + w[i] + "s", r[i])).append(i < r.length - 1 ? "  " : "");
         }
         sb.append(line.toString().stripTrailing()).append('\n');
      }
   }
}

package org.replkit.procs;

import org.replkit.core.changelog.DumpMarker;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.replkit.procs.Procedure.Kind.LOCAL;
import static org.replkit.procs.Procedure.Kind.SERVER;
import static org.replkit.procs.Procedure.Param.optional;
import static org.replkit.procs.Procedure.Param.required;
import static org.replkit.procs.Procedure.SqlType.BIGINT;
import static org.replkit.procs.Procedure.SqlType.BOOLEAN;
import static org.replkit.procs.Procedure.SqlType.VARCHAR;
import static org.replkit.procs.Procedure.Style.ADMIN;
import static org.replkit.procs.Procedure.Style.EXEC;
import static org.replkit.procs.Procedure.Style.NAMED;
import static org.replkit.procs.Procedure.Style.TEXT;

/**
 * The procedures ReplKit answers itself. A call of any other name is not ours and goes to the database
 * unchanged (it may be a real procedure there). Names match ignoring case.
 *
 * <p>Text commands are the replication server's own commands sent as SQL ({@code suspend connection to
 * ds.db}): none of their leading words is valid SQL in PostgreSQL, MariaDB or H2, so recognizing them by
 * those words takes nothing from the databases.
 */
public final class Registry
{
   public static final String ADMIN_COMMAND = "ADMIN COMMAND";
   /** The only parameter of a text command and of ADMIN COMMAND: the command's text. */
   public static final String COMMAND = "command";

   private static final Registry STANDARD = new Registry(standardProcedures());

   private final Map<String, Procedure> byName = new LinkedHashMap<>();
   private final Map<String, Procedure> byVerbs = new LinkedHashMap<>();

   public Registry(Collection<Procedure> procedures)
   {
      for (Procedure p : procedures) {
         final Map<String, Procedure> m = p.style() == TEXT ? byVerbs : byName;
         if (m.put(p.name().toUpperCase(Locale.ROOT), p) != null) {
            throw new IllegalArgumentException("procedure " + p.name() + " registered twice");
         }
      }
   }

   public static Registry standard()
   {
      return STANDARD;
   }

   /** The procedure with this (qualified, possibly quoted) name, or null. */
   public Procedure find(String name)
   {
      return byName.get(name.replace("\"", "").toUpperCase(Locale.ROOT));
   }

   /** The text command whose leading words ({@code SUSPEND}, {@code ADMIN WHO}) these are, or null. */
   Procedure textCommand(String firstWord, String secondWord)
   {
      final Procedure one = byVerbs.get(firstWord);
      return one != null ? one : byVerbs.get(firstWord + ' ' + secondWord);
   }

   public List<Procedure> procedures()
   {
      final List<Procedure> all = new ArrayList<>(byName.values());
      all.addAll(byVerbs.values());
      return all;
   }

   private static List<Procedure> standardProcedures()
   {
      final List<Procedure> l = new ArrayList<>();
      // seed 000 step 6: recorded in the primary's own change log, so it needs no running server
      l.add(new Procedure("lr_dump_marker", LOCAL, EXEC, Registry::dumpMarker,
                          optional("position", BIGINT, null), optional("site", VARCHAR, null)));
      // seed 002: the three resync modes
      l.add(new Procedure("sp_start_rep_agent", SERVER, EXEC, null,
                          required("dbname", VARCHAR), optional("mode", VARCHAR, null).allowing("resync", "resync purge", "resync init")));
      // solidDB (seed 003)
      l.add(new Procedure(ADMIN_COMMAND, SERVER, ADMIN, null, required(COMMAND, VARCHAR)));
      // seed 004: Oracle's offline instantiation; NULL is accepted because Oracle answers it with badargument (-23430)
      for (String p : List.of("BEGIN_INSTANTIATION", "RESUME_SUBSET_OF_MASTERS", "BEGIN_LOAD", "END_LOAD", "END_INSTANTIATION")) {
         l.add(new Procedure("DBMS_OFFLINE_OG." + p, SERVER, NAMED, null, oracle("gname"), oracle("new_site")));
      }
      // Oracle's signatures (parameter names, order and defaults as Oracle documents them; its '' is NULL)
      l.add(new Procedure("DBMS_REPCAT.CREATE_MASTER_REPGROUP", SERVER, NAMED, null, oracle("gname"), optional("group_comment", VARCHAR, null),
                          optional("master_comment", VARCHAR, null), optional("qualifier", VARCHAR, null)));
      l.add(new Procedure("DBMS_REPCAT.CREATE_MASTER_REPOBJECT", SERVER, NAMED, null, oracle("sname"), oracle("oname"),
                          optional("type", VARCHAR, "TABLE"), optional("use_existing_object", BOOLEAN, true), optional("ddl_text", VARCHAR, null),
                          optional("comment", VARCHAR, null), optional("retry", BOOLEAN, false), optional("copy_rows", BOOLEAN, true),
                          optional("gname", VARCHAR, null)));
      l.add(new Procedure("DBMS_REPCAT.ADD_MASTER_DATABASE", SERVER, NAMED, null, oracle("gname"), oracle("master"),
                          optional("use_existing_objects", BOOLEAN, true), optional("copy_rows", BOOLEAN, true), optional("comment", VARCHAR, null),
                          optional("propagation_mode", VARCHAR, "ASYNCHRONOUS").allowing("ASYNCHRONOUS", "SYNCHRONOUS"),
                          optional("fname", VARCHAR, null)));
      l.add(new Procedure("DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY", SERVER, NAMED, null, oracle("gname")));
      l.add(new Procedure("DBMS_REPCAT.RESUME_MASTER_ACTIVITY", SERVER, NAMED, null, oracle("gname"), optional("override", BOOLEAN, false)));
      // the replication server's own commands, as text
      for (String verbs : List.of("suspend", "resume", "ra_init", "admin who", "list exceptions", "rs_helpexception", "hotstandby")) {
         l.add(new Procedure(verbs, SERVER, TEXT, null, required(COMMAND, VARCHAR)));
      }
      return l;
   }

   private static Procedure.Param oracle(String name)
   {
      return required(name, VARCHAR).acceptingNull();
   }

   private static Procedure.Result dumpMarker(java.sql.Connection c, Procedure.Context ctx, Invocation call) throws SQLException
   {
      final String site = call.string("site");
      if (site != null && !site.equals(ctx.site())) {
         throw new SQLException(call.procedure().signature() + ": site '" + site + "' is not this database's site '" + ctx.site()
                                + "'; call it on a connection to that site's database (the marker is kept in its change log)", "22023");
      }
      return new Procedure.Result("position", BIGINT, DumpMarker.request(c, ctx.log(), call.bigint("position")));
   }
}

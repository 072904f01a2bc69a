package org.replkit.procs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Map;

/**
 * One bound call: the procedure, its typed arguments (every parameter, in declaration order, defaults
 * filled in; values are String, Long, Boolean or null) and its canonical text, which parses back to an
 * equal invocation ({@link Commands#parse}). The server dispatches on {@code procedure().name()}.
 */
public final class Invocation
{
   private final Procedure procedure;
   private final Map<String, Object> args;
   private final String canonicalText;

   Invocation(Procedure procedure, Map<String, Object> args)
   {
      this.procedure = procedure;
      this.args = Collections.unmodifiableMap(args);
      this.canonicalText = procedure.render(args);
   }

   public Procedure procedure()
   {
      return procedure;
   }

   /** Parameter name (as declared) to typed value. */
   public Map<String, Object> args()
   {
      return args;
   }

   public String canonicalText()
   {
      return canonicalText;
   }

   /** True when this is a call of {@code name} (ignoring case). */
   public boolean is(String name)
   {
      return procedure.name().equalsIgnoreCase(name);
   }

   public String string(String param)
   {
      return (String) value(param, Procedure.SqlType.VARCHAR);
   }

   public Long bigint(String param)
   {
      return (Long) value(param, Procedure.SqlType.BIGINT);
   }

   public Boolean bool(String param)
   {
      return (Boolean) value(param, Procedure.SqlType.BOOLEAN);
   }

   private Object value(String param, Procedure.SqlType type)
   {
      final Procedure.Param p = procedure.param(param);
      if (p == null || p.type() != type) {
         throw new IllegalArgumentException(procedure.signature() + " has no " + type + " parameter " + param);
      }
      return args.get(p.name());
   }

   /** Runs a LOCAL procedure on the caller's real connection. */
   public Procedure.Result runLocal(Connection c, Procedure.Context ctx) throws SQLException
   {
      if (procedure.kind() != Procedure.Kind.LOCAL) {
         throw new IllegalStateException(procedure.name() + " runs in the replication server, not on the caller's connection");
      }
      return procedure.body().run(c, ctx, this);
   }

   @Override
   public boolean equals(Object o)
   {
      return o instanceof Invocation i && i.procedure == procedure && i.args.equals(args);
   }

   @Override
   public int hashCode()
   {
      return procedure.hashCode() * 31 + args.hashCode();
   }

   @Override
   public String toString()
   {
      return canonicalText;
   }
}

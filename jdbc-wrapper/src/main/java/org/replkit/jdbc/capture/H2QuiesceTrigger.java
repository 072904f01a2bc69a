package org.replkit.jdbc.capture;

import org.h2.api.Trigger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** H2's side of {@link Quiesce}: the group's name travels in the trigger's name, after "__". */
public final class H2QuiesceTrigger implements Trigger
{
   private String message;

   @Override
   public void init(Connection conn, String schemaName, String triggerName, String tableName, boolean before, int type)
   {
      message = Quiesce.message(triggerName.substring(triggerName.lastIndexOf("__") + 2), schemaName + "." + tableName);
   }

   @Override
   public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException
   {
      try (PreparedStatement ps = conn.prepareStatement("SELECT @RK_APPLY"); ResultSet rs = ps.executeQuery()) {
         rs.next();
         if (rs.getObject(1) != null) {
            return; // replicated changes queued before the quiesce still drain
         }
      }
      throw new SQLException(message, "55000");
   }
}

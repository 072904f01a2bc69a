package org.replkit.agent;

import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import org.replkit.agent.bootstrap.Bridge;

/** Inlined at the end of {@code DataSource.getConnection()} and {@code getConnection(user, password)}; see {@link ConnectAdvice}. */
final class GetConnectionAdvice
{
   private GetConnectionAdvice()
   {
   }

   @Advice.OnMethodExit(suppress = Throwable.class)
   static void exit(@Advice.This Object dataSource,
                    @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object connection)
   {
      connection = Bridge.onConnect(connection, dataSource);
   }
}

import DispatchWorker
import Glibc

exit(WorkerMain.run(arguments: Array(CommandLine.arguments.dropFirst())))

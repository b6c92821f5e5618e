package io.flowport.core;

/**
 * Where a remote run's infrastructure is in its life, as the shared backend lifecycle sees it: the definition was
 * prepared, the unit (an ECS task, a Kubernetes Job, a container group …) was launched, the platform is finding
 * resources, the unit runs, it is being stopped, it is finished. In-process runs have no infrastructure phases.
 */
public enum RunPhase {
    /** The infrastructure definition exists (registered, or an equal one reused). */
    PREPARED,
    /** The platform accepted the launch; the detail names the unit. */
    LAUNCHED,
    /** Resources are being found (ECS PROVISIONING, an unscheduled pod). */
    PROVISIONING,
    /** Resources were found; the unit has not started running (image pull). */
    PENDING,
    /** The unit runs. */
    RUNNING,
    /** A stop was requested (by Flowport or from outside); the detail says why. */
    STOPPING,
    /** The unit is finished; the run's final state follows. */
    FINISHED
}

package socketunit

// Key names systemd 252 accepts (from "systemd --dump-configuration-items"), for the keys the
// table does not describe one by one: they are recognised, and verify reports them as accepted
// but not applied by sockvisor. TestKeyTableMatchesSystemd keeps these lists in sync with the
// installed systemd.

// systemd252ContextKeys are the exec, resource-control and kill keys, accepted in [Socket] and
// [Service] alike.
var systemd252ContextKeys = []string{
	"WorkingDirectory", "RootDirectory", "RootImage", "RootImageOptions", "RootHash",
	"RootHashSignature", "RootVerity", "ExtensionDirectories", "ExtensionImages", "MountImages",
	"User", "Group", "SupplementaryGroups", "Nice", "OOMScoreAdjust", "CoredumpFilter",
	"IOSchedulingClass", "IOSchedulingPriority", "CPUSchedulingPolicy", "CPUSchedulingPriority",
	"CPUSchedulingResetOnFork", "CPUAffinity", "NUMAPolicy", "NUMAMask", "UMask", "Environment",
	"EnvironmentFile", "PassEnvironment", "UnsetEnvironment", "DynamicUser", "RemoveIPC",
	"StandardInput", "StandardOutput", "StandardError", "StandardInputText", "StandardInputData",
	"TTYPath", "TTYReset", "TTYVHangup", "TTYVTDisallocate", "TTYRows", "TTYColumns",
	"SyslogIdentifier", "SyslogFacility", "SyslogLevel", "SyslogLevelPrefix", "LogLevelMax",
	"LogRateLimitIntervalSec", "LogRateLimitBurst", "LogExtraFields", "SecureBits",
	"CapabilityBoundingSet", "AmbientCapabilities", "TimerSlackNSec", "NoNewPrivileges",
	"KeyringMode", "ProtectProc", "ProcSubset", "SystemCallFilter", "SystemCallArchitectures",
	"SystemCallErrorNumber", "SystemCallLog", "MemoryDenyWriteExecute", "RestrictNamespaces",
	"RestrictRealtime", "RestrictSUIDSGID", "RestrictAddressFamilies", "LockPersonality",
	"RestrictFileSystems", "LimitCPU", "LimitFSIZE", "LimitDATA", "LimitSTACK", "LimitCORE",
	"LimitRSS", "LimitNOFILE", "LimitAS", "LimitNPROC", "LimitMEMLOCK", "LimitLOCKS",
	"LimitSIGPENDING", "LimitMSGQUEUE", "LimitNICE", "LimitRTPRIO", "LimitRTTIME",
	"ReadWriteDirectories", "ReadOnlyDirectories", "InaccessibleDirectories", "ReadWritePaths",
	"ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths", "ExecSearchPath", "BindPaths",
	"BindReadOnlyPaths", "TemporaryFileSystem", "PrivateTmp", "PrivateDevices",
	"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectClock",
	"ProtectControlGroups", "NetworkNamespacePath", "IPCNamespacePath", "LogNamespace",
	"PrivateNetwork", "PrivateUsers", "PrivateMounts", "PrivateIPC", "ProtectSystem", "ProtectHome",
	"MountFlags", "MountAPIVFS", "Personality", "RuntimeDirectoryPreserve", "RuntimeDirectoryMode",
	"RuntimeDirectory", "StateDirectoryMode", "StateDirectory", "CacheDirectoryMode",
	"CacheDirectory", "LogsDirectoryMode", "LogsDirectory", "ConfigurationDirectoryMode",
	"ConfigurationDirectory", "SetCredential", "SetCredentialEncrypted", "LoadCredential",
	"LoadCredentialEncrypted", "TimeoutCleanSec", "PAMName", "IgnoreSIGPIPE", "UtmpIdentifier",
	"UtmpMode", "SELinuxContext", "AppArmorProfile", "SmackProcessLabel", "ProtectHostname", "Slice",
	"AllowedCPUs", "StartupAllowedCPUs", "AllowedMemoryNodes", "StartupAllowedMemoryNodes",
	"CPUAccounting", "CPUWeight", "StartupCPUWeight", "CPUShares", "StartupCPUShares", "CPUQuota",
	"CPUQuotaPeriodSec", "MemoryAccounting", "MemoryMin", "DefaultMemoryMin", "DefaultMemoryLow",
	"MemoryLow", "MemoryHigh", "MemoryMax", "MemorySwapMax", "MemoryLimit", "DeviceAllow",
	"DevicePolicy", "IOAccounting", "IOWeight", "StartupIOWeight", "IODeviceWeight",
	"IOReadBandwidthMax", "IOWriteBandwidthMax", "IOReadIOPSMax", "IOWriteIOPSMax",
	"IODeviceLatencyTargetSec", "BlockIOAccounting", "BlockIOWeight", "StartupBlockIOWeight",
	"BlockIODeviceWeight", "BlockIOReadBandwidth", "BlockIOWriteBandwidth", "TasksAccounting",
	"TasksMax", "Delegate", "DisableControllers", "IPAccounting", "IPAddressAllow", "IPAddressDeny",
	"IPIngressFilterPath", "IPEgressFilterPath", "ManagedOOMSwap", "ManagedOOMMemoryPressure",
	"ManagedOOMMemoryPressureLimit", "ManagedOOMPreference", "BPFProgram", "SocketBindAllow",
	"SocketBindDeny", "RestrictNetworkInterfaces", "SendSIGKILL", "SendSIGHUP", "KillMode",
	"KillSignal", "RestartKillSignal", "FinalKillSignal", "WatchdogSignal",
}

// systemd252ServiceKeys are the [Service]-specific keys.
var systemd252ServiceKeys = []string{
	"PIDFile", "ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload",
	"ExecStop", "ExecStopPost", "RestartSec", "TimeoutSec", "TimeoutStartSec", "TimeoutStopSec",
	"TimeoutAbortSec", "TimeoutStartFailureMode", "TimeoutStopFailureMode", "RuntimeMaxSec",
	"RuntimeRandomizedExtraSec", "WatchdogSec", "StartLimitInterval", "StartLimitBurst",
	"StartLimitAction", "FailureAction", "RebootArgument", "Type", "ExitType", "Restart",
	"PermissionsStartOnly", "RootDirectoryStartOnly", "RemainAfterExit", "GuessMainPID",
	"RestartPreventExitStatus", "RestartForceExitStatus", "SuccessExitStatus", "NonBlocking",
	"BusName", "FileDescriptorStoreMax", "NotifyAccess", "Sockets", "USBFunctionDescriptors",
	"USBFunctionStrings", "OOMPolicy",
}

// systemd252UnitKeys are the [Unit] keys.
var systemd252UnitKeys = []string{
	"Description", "Documentation", "SourcePath", "Requires", "Requisite", "Wants", "BindsTo",
	"BindTo", "Upholds", "Conflicts", "Before", "After", "OnSuccess", "OnFailure",
	"PropagatesReloadTo", "PropagateReloadTo", "ReloadPropagatedFrom", "PropagateReloadFrom",
	"PropagatesStopTo", "StopPropagatedFrom", "PartOf", "JoinsNamespaceOf", "RequiresOverridable",
	"RequisiteOverridable", "RequiresMountsFor", "StopWhenUnneeded", "RefuseManualStart",
	"RefuseManualStop", "AllowIsolate", "DefaultDependencies", "OnSuccessJobMode", "OnFailureJobMode",
	"OnFailureIsolate", "IgnoreOnIsolate", "JobTimeoutSec", "JobRunningTimeoutSec",
	"JobTimeoutAction", "JobTimeoutRebootArgument", "StartLimitIntervalSec", "StartLimitInterval",
	"StartLimitBurst", "StartLimitAction", "FailureAction", "SuccessAction",
	"FailureActionExitStatus", "SuccessActionExitStatus", "RebootArgument", "ConditionPathExists",
	"ConditionPathExistsGlob", "ConditionPathIsDirectory", "ConditionPathIsSymbolicLink",
	"ConditionPathIsMountPoint", "ConditionPathIsReadWrite", "ConditionPathIsEncrypted",
	"ConditionDirectoryNotEmpty", "ConditionFileNotEmpty", "ConditionFileIsExecutable",
	"ConditionNeedsUpdate", "ConditionFirstBoot", "ConditionArchitecture", "ConditionFirmware",
	"ConditionVirtualization", "ConditionHost", "ConditionKernelCommandLine",
	"ConditionKernelVersion", "ConditionCredential", "ConditionSecurity", "ConditionCapability",
	"ConditionACPower", "ConditionMemory", "ConditionCPUFeature", "ConditionCPUs",
	"ConditionEnvironment", "ConditionUser", "ConditionGroup", "ConditionControlGroupController",
	"ConditionOSRelease", "ConditionMemoryPressure", "ConditionCPUPressure", "ConditionIOPressure",
	"AssertPathExists", "AssertPathExistsGlob", "AssertPathIsDirectory", "AssertPathIsSymbolicLink",
	"AssertPathIsMountPoint", "AssertPathIsReadWrite", "AssertPathIsEncrypted",
	"AssertDirectoryNotEmpty", "AssertFileNotEmpty", "AssertFileIsExecutable", "AssertNeedsUpdate",
	"AssertFirstBoot", "AssertArchitecture", "AssertVirtualization", "AssertHost",
	"AssertKernelCommandLine", "AssertKernelVersion", "AssertCredential", "AssertSecurity",
	"AssertCapability", "AssertACPower", "AssertMemory", "AssertCPUFeature", "AssertCPUs",
	"AssertEnvironment", "AssertUser", "AssertGroup", "AssertControlGroupController",
	"AssertOSRelease", "AssertMemoryPressure", "AssertCPUPressure", "AssertIOPressure", "CollectMode",
}

// systemd252InstallKeys are the [Install] keys.
var systemd252InstallKeys = []string{
	"Alias", "WantedBy", "RequiredBy", "Also", "DefaultInstance",
}

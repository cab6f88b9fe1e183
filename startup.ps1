# Runs byted-live-promotion in the background on Windows, as startup.sh does elsewhere.
#
#   .\startup.ps1 [--demo] [server flags...]   start it; a credential (CAS_SESSION, CAS_SESSION_<region>,
#                                              SERVICE_ACCOUNT_SECRET[_<region>]) must be set unless --demo
#   .\startup.ps1 status                       whether it runs: URL, pid, log
#   .\startup.ps1 stop                         stop it
#
# It runs dist\byted-live-promotion.exe (deno task compile) or a downloaded
# byted-live-promotion-windows-x64.exe beside this script when one exists, else `deno run` with the
# start task's permissions. The port is MCP_PORT (default 8123) or --port; every other flag goes to
# the server as it is. The pid is kept in mcp-server.pid and the server's log in mcp-server.log,
# beside this script (or in MCP_RUN_DIR). It waits up to STARTUP_TIMEOUT_S (60) for /health.
# Exit status: 0 done, 1 failed, 3 `status` found it not running.
# Windows has no signal a background process can be sent: stop ends the process at once.

$ErrorActionPreference = 'Stop'
$Name = 'byted-live-promotion'
$Root = $PSScriptRoot
$RunDir = if ($env:MCP_RUN_DIR) { $env:MCP_RUN_DIR } else { $Root }
New-Item -ItemType Directory -Force -Path $RunDir | Out-Null
$PidFile = Join-Path $RunDir 'mcp-server.pid'
$LogFile = Join-Path $RunDir 'mcp-server.log'
# The server writes nothing to stdout over HTTP; Start-Process needs a file of its own for it.
$OutFile = Join-Path $RunDir 'mcp-server.out'
# An empty file as stdin: a pipe would be served as MCP over stdio beside HTTP.
$InFile = Join-Path $RunDir 'mcp-server.in'
$StartTimeoutS = if ($env:STARTUP_TIMEOUT_S) { [int]$env:STARTUP_TIMEOUT_S } else { 60 }

function Say($message) { [Console]::Error.WriteLine("startup.ps1: $message") }

# The pid in the pid file when that process is alive and is this server; a stale file is removed.
function Get-RunningPid {
  if (-not (Test-Path $PidFile)) { return $null }
  $id = (Get-Content $PidFile -Raw) -replace '[^0-9]', ''
  if ($id) {
    $process = Get-CimInstance Win32_Process -Filter "ProcessId=$id" -ErrorAction SilentlyContinue
    if ($process -and ($process.CommandLine -match 'main\.ts|byted-live-promotion')) { return [int]$id }
  }
  Say "removing the stale $PidFile (process $id is gone or is not this server)"
  Remove-Item -Force $PidFile
  return $null
}

function Get-AnnouncedUrl {
  if (-not (Test-Path $LogFile)) { return $null }
  $found = Select-String -Path $LogFile -Pattern 'listening on (http://\S+/mcp)' | Select-Object -Last 1
  if ($found) { return $found.Matches[0].Groups[1].Value }
  return $null
}

function Test-Health($url) {
  try {
    $health = $url -replace '/mcp$', '/health'
    (Invoke-WebRequest -UseBasicParsing -TimeoutSec 2 -Uri $health).StatusCode -eq 200
  } catch { $false }
}

function Write-Status($id) {
  $url = Get-AnnouncedUrl
  if (-not $url) { $url = 'unknown yet (see the log)' }
  Write-Host "$Name is running"
  Write-Host "  URL:  $url"
  Write-Host "  pid:  $id"
  Write-Host "  log:  $LogFile"
}

# The program and arguments that run the server, as an array.
function Get-ServerCommand {
  foreach ($binary in @((Join-Path $Root "dist\$Name.exe"), (Join-Path $Root "$Name-windows-x64.exe"))) {
    if (Test-Path $binary) { return , @($binary) }
  }
  if (-not (Get-Command deno -ErrorAction SilentlyContinue)) {
    throw 'deno is not on PATH: install Deno (npm install -g deno) or download the Windows binary of a release'
  }
  $task = (Get-Content (Join-Path $Root 'deno.json') -Raw | ConvertFrom-Json).tasks.start.command
  if ($task -notmatch '^deno run (.*) main\.ts$') {
    throw "Cannot read the start task's flags from deno.json: restore its `"deno run ... main.ts`" command"
  }
  return , (@('deno', 'run') + ($Matches[1] -split ' ') + @((Join-Path $Root 'main.ts')))
}

function Test-Credential {
  $names = '^(CAS_SESSION|CAS_SESSION_.+|SERVICE_ACCOUNT_SECRET|SERVICE_ACCOUNT_SECRET_.+)$'
  return [bool](Get-ChildItem Env: | Where-Object { $_.Name -match $names -and $_.Value })
}

function Test-Demo($arguments) {
  return ($arguments -contains '--demo') -or ("$env:DEMO".ToLower() -in @('1', 'true', 'yes', 'on'))
}

function Start-Server($arguments) {
  $running = Get-RunningPid
  if ($running) {
    Say "$Name is already running (pid $running, $(Get-AnnouncedUrl)): run .\startup.ps1 stop first"
    return 1
  }
  if (-not (Test-Demo $arguments) -and -not (Test-Credential)) {
    Say "CAS_SESSION is not set (nor CAS_SESSION_<region> or SERVICE_ACCOUNT_SECRET): sign in at https://cloud.bytedance.net, copy the CAS_SESSION cookie, `$env:CAS_SESSION='...' and run again (or try .\startup.ps1 --demo)"
    return 1
  }
  try { $command = Get-ServerCommand } catch { Say $_.Exception.Message; return 1 }
  New-Item -ItemType File -Force -Path $InFile | Out-Null
  # Start-Process joins the arguments with spaces: quote those that hold one (C:\Users\Li Lei\...).
  $argumentList = @($command | Select-Object -Skip 1) + $arguments |
    ForEach-Object { if ($_ -match '\s') { "`"$_`"" } else { $_ } }
  $process = Start-Process -FilePath $command[0] -ArgumentList $argumentList `
    -WorkingDirectory $Root -WindowStyle Hidden -PassThru `
    -RedirectStandardInput $InFile -RedirectStandardOutput $OutFile -RedirectStandardError $LogFile
  Set-Content -Path $PidFile -Value $process.Id

  $deadline = (Get-Date).AddSeconds($StartTimeoutS)
  while ((Get-Date) -lt $deadline) {
    if ($process.HasExited) {
      Remove-Item -Force $PidFile
      Say "$Name exited at start; the end of ${LogFile}:"
      Get-Content $LogFile -Tail 5 | ForEach-Object { [Console]::Error.WriteLine($_) }
      return 1
    }
    $url = Get-AnnouncedUrl
    if ($url -and (Test-Health $url)) { Write-Status $process.Id; return 0 }
    Start-Sleep -Milliseconds 100
  }
  Say "$Name did not answer /health within $StartTimeoutS s: stopped it; see $LogFile"
  Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue
  Remove-Item -Force $PidFile
  return 1
}

function Stop-Server {
  $running = Get-RunningPid
  if (-not $running) { Write-Host "$Name is not running"; return 0 }
  Stop-Process -Id $running -Force
  Wait-Process -Id $running -Timeout 10 -ErrorAction SilentlyContinue
  Remove-Item -Force $PidFile
  Write-Host "$Name stopped (pid $running)"
  return 0
}

function Get-ServerStatus {
  $running = Get-RunningPid
  if (-not $running) { Write-Host "$Name is not running"; return 3 }
  Write-Status $running
  $url = Get-AnnouncedUrl
  if ($url -and -not (Test-Health $url)) {
    Write-Host "  health: no answer from $($url -replace '/mcp$', '/health') (see the log)"
  }
  return 0
}

# Read here: inside the switch's blocks $args would be theirs, not the script's.
$all = @($args)
$action = if ($all.Count -gt 0) { $all[0] } else { '' }
$rest = @($all | Select-Object -Skip 1)
switch ($action) {
  'stop' { exit (Stop-Server) }
  'status' { exit (Get-ServerStatus) }
  { $_ -in @('help', '-h', '--help') } {
    Get-Content $PSCommandPath -TotalCount 14 | Select-Object -Skip 1 | ForEach-Object { $_ -replace '^# ?', '' }
    exit 0
  }
  'start' { exit (Start-Server $rest) }
  default { exit (Start-Server $all) }
}

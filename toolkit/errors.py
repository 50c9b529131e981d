"""Exceptions that reach the user. Each carries a Chinese message, an exit code and a stable code.

The CLI turns any PlankitError into its message on stderr (with `--json`, also a JSON object
with its code on stdout) and its exit code; anything else is a bug and may show a traceback.

ERROR_CODES is the registry of error codes (whole-file rejections and command errors), the
counterpart of toolkit.problems.CODES (problems located in a cell): code -> (Chinese meaning,
what to do). A merge records a rejected file's error code as its problem code, so a zip bomb,
a password and a truncated download stay told apart in `merge --json` and the merge report.
The user guide's appendix 附录：问题代码 lists every code of both registries (a test checks).
"""
from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2

# code -> (meaning, what to do), both Chinese
ERROR_CODES: dict[str, tuple[str, str]] = {}


def error_code(code: str, meaning: str, action: str) -> str:
    if code in ERROR_CODES and ERROR_CODES[code] != (meaning, action):
        raise ValueError(f"error code {code!r} registered twice with different text")
    ERROR_CODES[code] = (meaning, action)
    return code


E = error_code
# --- a whole file rejected (a returned file, a plan, an imported table) ---------------------------
FILE_NOT_FOUND = E("file-not-found", "找不到文件。", "检查路径和文件名是否写对。")
FILE_UNREADABLE = E("file-unreadable", "文件无法读取（权限、磁盘或网络盘问题）。", "检查文件权限和磁盘后重新运行。")
FILE_EMPTY = E("file-empty", "文件是空的（0字节）。", "请报送单位重新发送。")
FILE_TOO_LARGE = E("file-too-large", "文件过大，不像填报表。", "核实是否发错文件；填报表通常只有几十KB。")
FILE_NOT_SPREADSHEET = E("file-not-spreadsheet", "不是Excel表格（网页、PDF、Word、文本等改了扩展名）。",
                         "请报送单位发送下发的Excel填报表本身，或在Excel中另存为“Excel工作簿(*.xlsx)”。")
FILE_ENCRYPTED = E("file-encrypted", "文件设置了打开密码。",
                   "请报送单位在Excel中“文件→信息→保护工作簿→用密码进行加密”清空密码、保存后重新发送。")
FILE_TRUNCATED = E("file-truncated", "文件不完整（下载或复制中断）。", "请报送单位重新发送原文件。")
FILE_DAMAGED = E("file-damaged", "文件已损坏（压缩数据校验失败、结构或内容损坏）。",
                 "请报送单位在Excel中打开，另存为“Excel工作簿(*.xlsx)”后重新发送。")
FILE_ZIP_BOMB = E("file-zip-bomb", "解压后内容异常巨大（疑似压缩炸弹），未解压即拒收。",
                  "不要打开此文件；请与报送单位核实，让其重新发送下发的填报表。")
FILE_TOO_MANY_ROWS = E("file-too-many-rows", "工作表行数过多，不像填报表。",
                       "请报送单位只保留下发的填报表内容后重新发送。")
FILE_UNSAFE = E("file-unsafe", "文件内部含有不允许的内容（DTD/实体声明、可疑路径、异常编码、异常文件数），可能是恶意文件。",
                "不要打开此文件；请与报送单位核实，让其重新发送下发的填报表。")
FILE_FAR_CELL = E("file-far-cell", "工作表中有远离表格的内容（超出第9999行或BZ列），无法安全读取。",
                  "请报送单位在Excel中按 Ctrl+End 找到最后一个单元格，删除表格以外多余的行和列后保存，再重新发送。")
FILE_STRICT_XML = E("file-strict-xml", "文件是“Strict Open XML”格式，无法读取。",
                    "请报送单位在Excel中“另存为”，保存类型选“Excel工作簿(*.xlsx)”后重新发送。")
FILE_WRONG_TYPE = E("file-wrong-type", "文件类型不是本命令能读取的（如导入方案时给了.doc、.pdf）。",
                    "按提示在Word/WPS/Excel中另存为可导入的格式（.docx、.txt、.xlsx、.csv）。")
FILE_ENCODING = E("file-encoding", "无法识别文本文件的编码。", "用记事本或WPS另存为UTF-8编码后再导入。")
RETURN_UNIDENTIFIED = E("return-unidentified", "无法确定这份文件是哪个单位、哪个季度的填报表（识别信息丢失且表格内容不足以判断）。",
                        "请报送单位使用下发的填报表填写（不要复制到新文件），或重新生成填报表发给该单位。")
# --- the plan -------------------------------------------------------------------------------------
PLAN_UNREADABLE = E("plan-unreadable", "计划主表无法读取（设置了密码、不是.xlsx、文件损坏）。",
                    "在Excel中取消密码、另存为“Excel工作簿(*.xlsx)”后再使用。")
PLAN_NOT_PLANKIT = E("plan-not-plankit", "这不是plankit计划主表（找不到“任务”“设置”等工作表）。",
                     "检查是否选错了文件，或用 plankit plan new 生成模板。")
PLAN_INVALID = E("plan-invalid", "计划主表有错误，命令无法继续。", "运行 plankit plan check 查看各错误的位置并修正。")
PLAN_IMPORT = E("plan-import-failed", "方案表格无法导入（缺列、无任务行、格式无法识别）。",
                "按提示补齐“序号”“目标任务”“第一季度”至“第四季度”列后重新导入。")
PLAN_SEED = E("plan-seed-invalid", "内置计划的原始文本或任务表有误（开发用）。", "检查 plans/ 下的种子文件。")
# --- options and arguments ------------------------------------------------------------------------
USAGE = E("usage-invalid", "命令的选项或参数有误。", "按提示修改命令；用 --help 查看示例。")
USAGE_NO_PLAN = E("usage-no-plan", "未指定计划主表，或指定的计划主表不存在。", "用 --plan 指定计划主表，例如 --plan plans/lianyungang-2019.xlsx。")
USAGE_PLAN_CONFLICT = E("usage-plan-conflict", "同时用位置参数和 --plan 指定了两个不同的计划主表。", "只保留其中一个。")
USAGE_QUARTER = E("usage-bad-quarter", "无法识别季度，或季度不属于本计划年度。", "写成 2019Q2、Q2、2 或 二季度。")
USAGE_DATE = E("usage-bad-date", "无法识别日期。", "写成 2019-07-15、2019/7/15、2019年7月15日 或 20190715。")
USAGE_DEPARTMENT = E("usage-unknown-department", "计划中没有这个部门（单位），或它没有任务。",
                     "按计划主表“部门”表中的写法填写名称。")
USAGE_FILE_EXISTS = E("usage-file-exists", "输出文件已存在，为免覆盖未做修改。", "确需覆盖请加 --force，或换一个文件名。")
USAGE_VERSION = E("usage-version-not-found", "--prefer 指定的文件在本季度已合并的文件中找不到，或对应多个文件。",
                  "用 plankit status 查看各版本的文件名和编号（至少6位），再用编号指定。")
# --- outputs, the store, helpers ------------------------------------------------------------------
OUTPUT_LOCKED = E("output-locked", "输出文件正被Excel、WPS或LibreOffice打开，无法覆盖。", "关闭该文件后重新运行同一命令。")
STORE_BUSY = E("store-busy", "另一个合并正在使用数据库，本次未做任何改动。", "等它结束后再运行。")
STORE_UNAVAILABLE = E("store-unavailable", "数据库无法打开或读取，或位于网络共享盘上。",
                      "用 --out 指定本机磁盘上的目录；数据库损坏时运行 plankit merge --rebuild 从归档重建。")
STORE_URL = E("store-url", "--store 或 PLANKIT_STORE 给出的数据存储地址无法使用（格式不对，或含有密码）。",
              "写成 sqlite:///文件路径 或 postgresql://用户@主机:端口/库名；密码放在 PGPASSWORD 环境变量或 ~/.pgpass 中。")
STORE_SERVER = E("store-server", "无法连接数据库服务器，或连接中断。", "确认服务器已启动、地址端口正确后重新运行同一命令。")
STORE_NEWER = E("store-newer-version", "数据存储是更新版本的 plankit 建立的，本版本无法安全使用。", "请升级 plankit 后再运行。")
STORE_OTHER_PLAN = E("store-other-plan", "指定的数据存储属于另一个计划。", "请检查 --store 和 --plan 是否对应。")
STORE_EMPTY_ARCHIVE = E("store-archive-empty", "归档中没有可用于重建的文件，数据库未改动。", "先用 plankit merge 合并收到的文件。")
REBUILD_WOULD_LOSE = E("rebuild-would-lose", "从归档重建的结果比现有数据库少（归档文件缺失或被改动），数据库未改动。",
                       "先运行 plankit store verify 查看缺失或损坏的归档文件并尽量找回；确认要以重建结果替换时加 --force。")
ARCHIVE_HASH_MISMATCH = E("archive-hash-mismatch", "归档文件的内容与其编号（SHA-256）不符：收到后被改动或截断。",
                          "从备份或原邮件中找回原文件；运行 plankit merge --rebuild 时该文件不会被重新读取。")
ARCHIVE_MISSING = E("archive-missing", "合并日志或归档索引记录的文件在归档中找不到。",
                    "从备份或原邮件中找回原文件后重新合并；或确认后用 plankit merge --rebuild --force 重建。")
ARCHIVE_UNREADABLE = E("archive-unreadable", "归档文件无法读取（权限或磁盘问题）。", "检查归档文件夹的权限和磁盘后重新运行 plankit store verify。")
DISK = E("disk-error", "读写文件失败（磁盘已满、没有权限或磁盘错误）。", "清理磁盘或检查文件夹权限后重新运行同一命令；已完成的部分完整保留。")
DATABASE = E("database-error", "数据库读写出错（磁盘已满、只读或已损坏）。", "检查磁盘后重新运行；仍有问题请运行 plankit merge --rebuild。")
OFFICE_MISSING = E("office-missing", "未找到LibreOffice（soffice），无法转换文件或生成PDF。", "安装LibreOffice后重新运行。")
OFFICE_FAILED = E("office-failed", "LibreOffice转换失败或超时。", "重新运行；仍失败请把提示发给技术支持。")
TEMPLATE_INVALID = E("template-invalid", "Word模板不可用（找不到、不是.docx、变量未定义或语法错误）。",
                     "按提示修改模板，或用 --template 指定其他模板。")
MAIL_TEMPLATE = E("mail-template", "邮件模板找不到或有错误。", "按提示修改邮件模板。")
MAIL_SERVER = E("mail-server", "无法连接邮件服务器或登录被拒绝，没有发送任何邮件。",
                "检查 --smtp-host、--smtp-port、--smtp-security 以及 PLANKIT_SMTP_USER、PLANKIT_SMTP_PASSWORD。")
WRITE_FAILED = E("write-failed", "生成的工作簿无法写入（文字过长、超出Excel限制）。", "按提示缩短相应文字后重新运行。")
OTHER = E("error", "其他错误。", "按提示处理；仍有问题请把提示发给技术支持。")
del E


class PlankitError(Exception):
    """A user mistake or bad input: shown as a message, never a traceback.

    `code` (one of ERROR_CODES) says which kind of error, for programs reading `--json`.
    """

    exit_code = EXIT_USAGE
    code = OTHER

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message}{self.hint}" if self.hint else self.message

    def __reduce__(self):  # keeps the code and hint across a reader process's pipe
        return _rebuild, (type(self), self.message, self.hint, self.code)


def _rebuild(cls, message, hint, code):
    exc = cls.__new__(cls)
    PlankitError.__init__(exc, message, hint=hint, code=code)
    return exc


class UsageError(PlankitError):
    """A wrong option or argument (exit 2)."""
    code = USAGE


class PlanError(PlankitError):
    """The plan cannot be read or has errors that stop the command (exit 2)."""
    code = PLAN_INVALID


class InputFileError(PlankitError):
    """A file cannot be opened as the kind of file it should be."""
    code = FILE_DAMAGED


class OutputLockedError(PlankitError):
    """An output file is open in another program and cannot be replaced."""
    code = OUTPUT_LOCKED


# Why a file could not be read, in words a user can act on (strerror is English, and on a
# Chinese Windows its own language: neither helps a coordinator decide what to do).
_OS_REASONS = {
    errno.ENOENT: "文件在合并开始后被移走、改名或删除了（可能正在同步或被其他程序处理）。请确认文件在原处后重新运行合并",
    errno.EACCES: "没有读取权限，或文件正被其他程序独占打开（如Excel、WPS、杀毒或同步软件）。请关闭该程序后重新运行合并",
    errno.EPERM: "没有读取权限，或文件正被其他程序独占打开（如Excel、WPS、杀毒或同步软件）。请关闭该程序后重新运行合并",
    errno.EBUSY: "文件正被其他程序占用。请关闭该程序后重新运行合并",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.EIO: "读取时磁盘或网络盘出错。请检查磁盘或网络连接后重新运行合并",
}


def os_reason(exc: OSError) -> str:
    """A Chinese reason for an OSError met while reading an input file."""
    return _OS_REASONS.get(exc.errno or 0, f"{exc.strerror or exc}")

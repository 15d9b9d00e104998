"""The family bound to a case: list members, approve or refuse a join request, remove a member."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.cases import members
from app.identity.auth import BEARER, current_principal, login_required
from schemas.members import MemberSchema

blp = Blueprint("members", __name__, url_prefix="/api/v1/cases", description="关联家属")


@blp.route("/<case_id>/members")
class Members(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MemberSchema(many=True))
    @login_required()
    def get(self, case_id):
        """关联此申请的家属：申请人能看到待同意的加入申请（全名和遮蔽的手机号），其他人只看到遮蔽的姓名"""
        return members.list_members(case_id=case_id, principal=current_principal())


@blp.route("/<case_id>/members/<int:member_id>/approve")
class ApproveMember(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MemberSchema)
    @login_required(kinds=("family",))
    def post(self, case_id, member_id):
        """申请人同意家属加入：对方随即可以查看办理进度并收到通知"""
        return members.approve_member(case_id=case_id, member_id=member_id, principal=current_principal())


@blp.route("/<case_id>/members/<int:member_id>/refuse")
class RefuseMember(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MemberSchema)
    @login_required(kinds=("family",))
    def post(self, case_id, member_id):
        """申请人不同意家属加入：对方看不到任何办理信息"""
        return members.refuse_member(case_id=case_id, member_id=member_id, principal=current_principal())


@blp.route("/<case_id>/members/<int:member_id>")
class Member(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(204)
    @login_required(kinds=("family",))
    def delete(self, case_id, member_id):
        """申请人移除家属（或家属自己退出）：对方的登录立即不能再查看此申请"""
        members.remove_member(case_id=case_id, member_id=member_id, principal=current_principal())
